/*
 * log.c: one line per request, and other messages, to syslog or to
 * stderr (scepd.conf(5) "log").
 *
 * Everything that comes from the network (transactionID, operation,
 * client address, reasons that may quote input) is escaped the way
 * kcgi's logging.c does it: printable ASCII is kept, every other byte
 * and the quote and backslash become \xHH, and each field is bounded.
 * There is no field for a password or a key, so none can be logged.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "scep/scep.h"
#include "src/extern.h"

/* Longest log line we build; syslog and stderr get at most this. */
#define LOG_LINE_MAX	2048

/* Escaped field sizes: a 128-char transactionID fits even if each of
 * its bytes needed an escape (4 output bytes per input byte). */
#define ESC_TXID	(SCEP_TXID_MAX * 4 + 1)
#define ESC_SHORT	(64 + 1)
#define ESC_REASON	(256 + 1)

static enum conf_logdest	 log_dest = CONF_LOG_STDERR;
static char			 log_ident[32] = "scepd";
static int			 log_syslog_open;

/* Output bytes for input byte c: 1, or 4 for a \xHH escape. */
static size_t
esclen(unsigned char c, int quote)
{
	if (c < 0x20 || c > 0x7e || (quote && (c == '"' || c == '\\')))
		return 4;
	return 1;
}

/*
 * Escape one byte run.  quote: also escape '"' and '\\' (for values
 * written between quotes).  See log_escape() for the contract.
 */
static int
escape(const char *in, size_t inlen, char *out, size_t outsz, int quote)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0, total = 0, room;
	unsigned char		 c;
	int			 whole;

	if (outsz == 0)
		return 0;
	/* First pass: does everything fit (with the NUL)? */
	for (i = 0; i < inlen && total < outsz; i++)
		total += esclen((unsigned char)in[i], quote);
	whole = (i == inlen && total < outsz);
	/* If not, leave room for the "..." marker when there is any. */
	room = outsz - 1;
	if (!whole)
		room = outsz >= 4 ? outsz - 4 : 0;

	for (i = 0; i < inlen; i++) {
		c = (unsigned char)in[i];
		if (o + esclen(c, quote) > room)
			break;		/* never cut an escape */
		if (esclen(c, quote) == 1)
			out[o++] = (char)c;
		else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	if (!whole && outsz >= 4) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return whole;
}

/*
 * Escape untrusted text for the log; see extern.h.  Returns 1 when all
 * of in was written, 0 when the output was truncated (and ends "...").
 */
int
log_escape(const char *in, size_t inlen, char *out, size_t outsz)
{
	return escape(in, inlen, out, outsz, 1);
}

/*
 * Direct the log to syslog (with the configured facility) or stderr.
 * The ident string is copied.
 */
void
log_open(const struct conf *c, const char *ident)
{
	if (ident != NULL)
		snprintf(log_ident, sizeof(log_ident), "%s", ident);
	if (log_syslog_open) {
		closelog();
		log_syslog_open = 0;
	}
	if (c == NULL || c->log == CONF_LOG_STDERR) {
		log_dest = CONF_LOG_STDERR;
		return;
	}
	log_dest = CONF_LOG_SYSLOG;
	openlog(log_ident, LOG_PID | LOG_NDELAY, c->syslog_facility);
	log_syslog_open = 1;
}

/* Close syslog if log_open() opened it; the log goes to stderr after. */
void
log_close(void)
{
	if (log_syslog_open)
		closelog();
	log_syslog_open = 0;
	log_dest = CONF_LOG_STDERR;
}

/*
 * Write one finished line.  On stderr it is prefixed with an ISO-8601
 * UTC timestamp and the ident, and written with one write(2) so that
 * lines of concurrent workers do not interleave.
 */
static void
emit(int prio, const char *line)
{
	char		 buf[LOG_LINE_MAX + 64], ts[32];
	struct tm	 tm;
	time_t		 now;
	int		 n;

	if (log_dest == CONF_LOG_SYSLOG) {
		syslog(prio, "%s", line);
		return;
	}
	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(ts, sizeof(ts), "-");
	n = snprintf(buf, sizeof(buf), "%s %s[%ld]: %s\n", ts, log_ident,
	    (long)getpid(), line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		/* Cut an overlong line, keeping its newline. */
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	/* A failed log write has nowhere to be reported. */
	if (write(STDERR_FILENO, buf, (size_t)n) == -1)
		return;
}

/* Escape the NUL-terminated s (or "-" when NULL) into out. */
static void
field(const char *s, char *out, size_t outsz)
{
	if (s == NULL)
		s = "-";
	(void)escape(s, strlen(s), out, outsz, 1);
}

/*
 * Log one request as key=value pairs on one line (syslog or stderr).
 * Free-text values (txid, reason) are quoted; renewal=yes is added for
 * an enrolment signed by a certificate the tenant issued (whatever its
 * messageType), ra=previous when the previous RA of a CA rollover
 * opened the message.  The priority
 * follows the outcome: LOG_INFO for OK, LOG_NOTICE for MALFORMED and
 * REJECT, LOG_ERR for INTERNAL.
 */
void
log_request(const struct log_req *r)
{
	char	 tenant[ESC_SHORT], op[ESC_SHORT], addr[ESC_SHORT];
	char	 txid[ESC_TXID], reason[ESC_REASON];
	char	 line[LOG_LINE_MAX];
	size_t	 tlen;
	int	 prio;

	field(r->tenant, tenant, sizeof(tenant));
	field(r->operation, op, sizeof(op));
	field(r->addr, addr, sizeof(addr));
	field(r->reason, reason, sizeof(reason));
	if (r->txid == NULL)
		snprintf(txid, sizeof(txid), "-");
	else {
		/* INTEROP.md 6.7: at most 128 characters are kept. */
		tlen = r->txid_len > SCEP_TXID_MAX ? SCEP_TXID_MAX :
		    r->txid_len;
		(void)escape(r->txid, tlen, txid, sizeof(txid), 1);
	}

	snprintf(line, sizeof(line),
	    "tenant=%s op=%s txid=\"%s\" type=%s digest=%s cipher=%s "
	    "outcome=%s status=%s failinfo=%s reason=\"%s\" addr=%s ms=%ld%s%s",
	    tenant, op, txid,
	    r->has_type ? scep_msgtype_name(r->type) : "-",
	    r->has_digest ? scep_digest_name(r->digest) : "-",
	    r->has_cipher ? scep_cipher_name(r->cipher) : "-",
	    scep_outcome_name(r->outcome),
	    r->has_status ? scep_status_name(r->status) : "-",
	    r->has_failinfo ? scep_failinfo_name(r->failinfo) : "-",
	    reason, addr, r->ms < 0 ? 0 : r->ms,
	    r->renewal ? " renewal=yes" : "",
	    r->prev_ra ? " ra=previous" : "");

	switch (r->outcome) {
	case SCEP_OK:
		prio = LOG_INFO;
		break;
	case SCEP_MALFORMED:
	case SCEP_REJECT:
		prio = LOG_NOTICE;
		break;
	default:
		prio = LOG_ERR;
		break;
	}
	emit(prio, line);
}

/*
 * Log a free-form message.  The formatted text is bounded and its
 * control bytes are escaped, so one call is always one line; callers
 * still escape untrusted parts with log_escape().
 */
void
log_msg(int prio, const char *fmt, ...)
{
	char		 raw[LOG_LINE_MAX / 2], line[LOG_LINE_MAX];
	va_list		 ap;
	int		 n;

	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	(void)escape(raw, strlen(raw), line, sizeof(line), 0);
	emit(prio, line);
}
