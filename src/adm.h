/*
 * adm.h: the internal interface of scepadm(8), shared by src/scepadm.c
 * (main, the command table) and the command groups in src/adm_*.c.
 *
 * Ownership follows STYLE.md B5: a function that returns a pointer
 * says who frees it; "borrowed" results live as long as their parent.
 * Every helper that can fail prints its own message (warn(3) style,
 * "scepadm: ...") unless its comment says otherwise, so that a command
 * only has to clean up and return EXIT_FAIL.
 */
#ifndef SCEPD_ADM_H
#define SCEPD_ADM_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <jansson.h>

#include "src/server.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Exit statuses (scepadm(8), EXIT STATUS). */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* CA validity of tenant create and ca rollover, issue --days (20 years). */
#define CA_DAYS_DEFAULT		7300
#define CA_DAYS_MAX		36500
/* ub-common-name (RFC 5280 appendix A). */
#define CN_MAX			64
/* The text of a request ID (reqid_text()), with its NUL. */
#define REQID_MAX	(STORE_TENANT_MAX + 2 * STORE_TXID_MAX + \
			    REQID_KEYHEX_MIN + 3)
/* Most options of one command, and most repeated values of one. */
#define OPTS_MAX		16
#define MULTI_MAX		16

/* What every command gets: the configuration path. */
struct adm {
	const char	*conf_path;
};

/* One command of the table (src/scepadm.c cmds[]). */
struct cmd {
	const char	*group;		/* "tenant", "request", "cert", "crl" */
	const char	*name;		/* "create", ..., or NULL (crl) */
	int		(*fn)(const struct adm *, const struct cmd *, int,
			    char *[]);
	const char	*synopsis;	/* arguments after the command words */
	const char	*summary;	/* one line for the command list */
	const char	*help;		/* the options, for --help */
};

/* A user and group to become (the database owner). */
struct ident {
	int		 set;		/* 0: stay who we are */
	uid_t		 uid;
	gid_t		 gid;
};

/*
 * One option of a command, for parse_opts().  An option without a
 * value sets *flag; one with a value is handed to check (when set),
 * then stored in *val or appended to multi[] (when set).
 */
struct opt {
	const char	 *name;		/* long name */
	int		  shortc;	/* short letter, or 0 */
	const char	**val;		/* with a value: it goes here */
	int		 *flag;		/* without: set to 1 */
	const char	**multi;	/* repeatable: values go here */
	size_t		 *nmulti;	/* ... their count (MULTI_MAX) */
	/*
	 * With a value: called on it as it is met (so errors come in
	 * command-line order), with arg; returns EXIT_OK, or EXIT_USAGE
	 * from usage_err().
	 */
	int		(*check)(const struct cmd *, const char *, void *);
	void		 *arg;
};

/*
 * The commands (src/adm_*.c).  Each parses its own options, prints its
 * result on stdout and returns EXIT_OK, EXIT_FAIL (after a message) or
 * EXIT_USAGE.
 */
int	cmd_tenant_create(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_tenant_import(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_tenant_list(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_tenant_show(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_tenant_check(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_ca_rollover(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_request_list(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_request_approve(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_request_reject(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_request_show(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_issue(const struct adm *, const struct cmd *, int, char *[]);
int	cmd_cert_revoke(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_cert_list(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_cert_show(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_cert_export(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_crl(const struct adm *, const struct cmd *, int, char *[]);
int	cmd_challenge_create(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_challenge_list(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_challenge_purge(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_challenge_revoke(const struct adm *, const struct cmd *, int,
	    char *[]);
int	cmd_mobileconfig(const struct adm *, const struct cmd *, int,
	    char *[]);

/*
 * src/adm_util.c: messages and option parsing.
 */

/* The command's words for messages ("tenant create", "crl") into buf. */
void	cmd_words(const struct cmd *, char *, size_t);
/* A usage error: the message, then the synopsis; returns EXIT_USAGE. */
int	usage_err(const struct cmd *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* --help: synopsis, summary and options on stdout; returns EXIT_OK. */
int	help(const struct cmd *);
/*
 * The options of a command (o, n entries, plus --help) and, when arg is
 * not NULL, its one operand into *arg (borrowed from argv); missing is
 * the message when it is absent (NULL: "an argument is missing").
 * Returns EXIT_OK, -1 for --help, or EXIT_USAGE after a message.
 */
int	parse_opts(const struct cmd *, int, char *[], const struct opt *,
	    size_t, const char *, const char **);

/*
 * src/adm_util.c: parsing and printing values.
 */

/* A decimal integer in [min, max], the whole string; 1 or 0. */
int	parse_num(const char *, long long, long long, long long *);
/* A duration "30d", "12h", "90m", "2w" or seconds, up to ten years. */
int	parse_dur(const char *, time_t *);
/* An operator's serial (hex, "0x", ':') into its magnitude; 1 or 0. */
int	parse_serial(const char *, uint8_t *, size_t *);
/* Exactly n hex digits into n / 2 bytes; 1, or 0 on a bad digit. */
int	hex_decode(const char *, size_t, uint8_t *);
/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
/* A serial as scepadm prints it (upper-case hex) into out. */
void	serial_hex(const uint8_t *, size_t, char *);
/* The serial of a certificate as serial_hex() prints it; 1 or 0. */
int	cert_serial_hex(X509 *, char [2 * STORE_SERIAL_MAX + 1]);
/* A time as ISO 8601 UTC into buf (at least 21 bytes). */
void	iso_time(time_t, char *, size_t);
/* An ASN1_TIME as time_t; 1 or 0 (no message). */
int	asn1_time(const ASN1_TIME *, time_t *);
/* A Name as escaped RFC 2253 text into buf; 1, or 0 with "?" there. */
int	name_text(const X509_NAME *, char *, size_t);
/* An openssl req -subj style subject; a new name (X509_NAME_free()). */
X509_NAME *parse_dn(const char *);
/* "RSA 2048", "EC P-256" for a key, into buf. */
void	key_desc(EVP_PKEY *, char *, size_t);

/*
 * src/adm_util.c: files.
 */

/* Whether path exists (or cannot be checked). */
int	exists(const char *);
/* A new file of exactly mode and group gid ((gid_t)-1: ours); 1 or 0. */
int	write_new_file(const char *, const void *, size_t, mode_t, gid_t);
/* A new file of mode (write_new_file()), or stdout for NULL; 1 or 0. */
int	write_out(const char *, const void *, size_t, mode_t);
/* Replace a file (0644) through a temporary file and rename; 1 or 0. */
int	write_replace(const char *, const void *, size_t);
/* The first certificate of a PEM or DER file (X509_free()), or NULL. */
X509	*read_cert(const char *);
/* Every certificate of a PEM file (sk_X509_pop_free()), or NULL. */
STACK_OF(X509) *read_certs(const char *);
/* An unencrypted PEM private key (EVP_PKEY_free()), or NULL. */
EVP_PKEY *read_key(const char *);

/*
 * src/adm_util.c: configuration and store, as the database owner.
 */

/* Who owns database directory dbdir, when we are root; 1 or 0. */
int	db_owner(const char *, struct ident *);
/* store_open() as who (when who->set); the store or NULL. */
struct store *store_open_as(const struct ident *, const char *,
	    unsigned int, size_t);
/* The configuration (conf_free()), or NULL. */
struct conf *load_conf(const struct adm *);
/* The store of a configuration (store_close()), or NULL. */
struct store *open_store(const struct conf *);
/* The server with its store open (server_free()), or NULL. */
struct server *load_server(const struct adm *);
/* The configuration (with tenant, unless NULL) and its store; 1 or 0. */
int	conf_store_open(const struct adm *, const char *, struct conf **,
	    struct store **);
/* A store failure as a message: "what: meaning (detail)". */
void	store_warn(const struct store *, enum store_rc, const char *);

/*
 * src/adm_util.c: output.  JSON values are jansson's: an object or
 * array passed in stays the caller's.
 */

/* Set o[key] to the string s (NULL: nothing); 1 or 0. */
int	jset_str(json_t *, const char *, const char *);
/* Set o[key] to a time as ISO 8601; 1 or 0. */
int	jset_time(json_t *, const char *, time_t);
/* A new empty object appended to the array rows (borrowed), or NULL. */
json_t	*row_new(json_t *);
/* A certificate's subject, issuer, serial, validity, hashes, key. */
int	cert_facts(X509 *, const char *, json_t *);
/* A GENERAL_NAMES as "DNS:x" strings appended to an array; 1 or 0. */
int	sans_json(const GENERAL_NAMES *, json_t *);
/* An object as JSON or "key: value" lines, flushed; 1, or 0 after a
 * message. */
int	print_obj(json_t *, int);
/* An array of objects as JSON or aligned columns, unflushed; 1 or 0. */
int	print_table(json_t *, const char *const [], const char *const [],
	    size_t, int);

/*
 * src/adm_util.c: what request, cert and challenge list share.  A list
 * command zeroes a struct listing, opens it with list_open(), has a
 * store callback add rows (row_new()) or set oom, prints them with
 * list_print() and frees everything with list_close().
 */
struct listing {
	struct conf	*conf;		/* owned */
	struct store	*st;		/* owned */
	json_t		*rows;		/* owned: an array of objects */
	time_t		 now;		/* for the callback, if it needs it */
	int		 oom;		/* set by the callback */
};

/* Configuration (checking tenant, may be NULL), store, rows; 1 or 0. */
int	list_open(const struct adm *, const char *, struct listing *);
/* The rows as print_table() prints them; an exit status. */
int	list_print(struct listing *, const char *const [],
	    const char *const [], size_t, int);
/* Free what list_open() made; the listing may be zeroed or partial. */
void	list_close(struct listing *);
/* A whole list command with --json and --tenant; an exit status. */
int	list_cmd(const struct adm *, const struct cmd *, int, char *[],
	    int (*)(struct listing *, const char *), const char *const [],
	    const char *const [], size_t);

/*
 * src/adm_request.c: request IDs, shared with challenge list.
 */

/* The ID of a request key as request list prints it, into buf. */

#endif /* !SCEPD_ADM_H */
