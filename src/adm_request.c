/*
 * adm_request.c: scepadm request list, approve, reject and show: the
 * requests a tenant with manual approval holds PENDING (INTEROP.md 6.3).
 */
#include "config.h"

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <jansson.h>

#include "src/extern.h"
#include "src/store.h"
#include "src/server.h"
#include "src/adm.h"

/* messageType RenewalReq as stored (RFC 8894 section 3.2.1.2). */
#define MSGTYPE_RENEWALREQ	17

/*
 * Requests.  A request is named on the command line by
 * "TENANT:TXIDHEX:KEYHASHHEX": the tenant, the transactionID in hex
 * (it is any bytes), and at least the first 16 hex digits of the
 * SHA-256 of the requester's key (INTEROP.md 6.3 keys a transaction by
 * all three).  request list prints the first 16.
 */

/* A parsed request ID. */
struct reqid {
	char		 tenant[STORE_TENANT_MAX + 1];
	uint8_t		 txid[STORE_TXID_MAX];
	size_t		 txid_len;
	uint8_t		 keyhash[STORE_HASH_LEN];
	size_t		 keyhash_len;	/* the bytes given: a prefix */
};

/* Parse a request ID; 1, or 0 when it is malformed. */
static int
reqid_parse(const char *s, struct reqid *id)
{
	const char	*c1, *c2;
	size_t		 tl, xl, kl;

	memset(id, 0, sizeof(*id));
	if ((c1 = strchr(s, ':')) == NULL || (c2 = strchr(c1 + 1, ':')) ==
	    NULL)
		return 0;
	tl = (size_t)(c1 - s);
	xl = (size_t)(c2 - c1 - 1);
	kl = strlen(c2 + 1);
	if (tl == 0 || tl > STORE_TENANT_MAX || xl == 0 || xl % 2 != 0 ||
	    xl > 2 * STORE_TXID_MAX || kl < REQID_KEYHEX_MIN ||
	    kl > 2 * STORE_HASH_LEN || kl % 2 != 0)
		return 0;
	memcpy(id->tenant, s, tl);
	id->tenant[tl] = '\0';
	if (!store_tenant_valid(id->tenant) ||
	    !hex_decode(c1 + 1, xl, id->txid) ||
	    !hex_decode(c2 + 1, kl, id->keyhash))
		return 0;
	id->txid_len = xl / 2;
	id->keyhash_len = kl / 2;
	return 1;
}

/* What find_cb() looks for and what it found. */
struct reqfind {
	const struct reqid	*id;
	struct store_reqkey	 key;	/* the full key of the match */
	size_t			 matches;
};

/* store_req_list() callback: PENDING requests matching an ID. */
static int
find_cb(const struct store_req *r, void *arg)
{
	struct reqfind	*f = arg;

	if (r->key.txid_len != f->id->txid_len ||
	    memcmp(r->key.txid, f->id->txid, r->key.txid_len) != 0 ||
	    memcmp(r->key.keyhash, f->id->keyhash, f->id->keyhash_len) != 0)
		return 1;
	if (f->matches++ == 0)
		f->key = r->key;
	return 1;
}

/*
 * Find the PENDING request named by the text id in st and return it in
 * *out (store_req_free()).  Returns 1, or 0 after a message.
 */
static int
find_pending(struct store *st, const char *text, struct store_req **out)
{
	struct reqid	 id;
	struct reqfind	 f;
	enum store_rc	 src;

	*out = NULL;
	if (!reqid_parse(text, &id)) {
		warnx("bad request ID '%.*s': expected TENANT:TXID:KEYHASH as "
		    "scepadm request list prints it", 200, text);
		return 0;
	}
	memset(&f, 0, sizeof(f));
	f.id = &id;
	if ((src = store_req_list(st, id.tenant, find_cb, &f)) != STORE_OK) {
		store_warn(st, src, "listing requests");
		return 0;
	}
	if (f.matches == 0) {
		warnx("no PENDING request %s (already approved, rejected or "
		    "expired? see scepadm request list)", text);
		return 0;
	}
	if (f.matches > 1) {
		warnx("request ID %s is ambiguous: give more digits of the "
		    "key hash", text);
		return 0;
	}
	if ((src = store_req_get(st, &f.key, out)) != STORE_OK) {
		store_warn(st, src, "reading the request");
		return 0;
	}
	if ((*out)->state != STORE_REQ_PENDING) {
		warnx("request %s was decided meanwhile", text);
		store_req_free(*out);
		*out = NULL;
		return 0;
	}
	return 1;
}

/*
 * store_req_list() callback: one PENDING request as a row of request
 * list (its JSON object; the text columns are some of its members).
 */
static int
list_cb(const struct store_req *r, void *arg)
{
	struct listing		*l = arg;
	json_t			*o;
	X509_NAME		*name;
	const unsigned char	*p;
	char			 id[REQID_MAX], txid[4 * STORE_TXID_MAX + 4];
	char			 keyhash[2 * STORE_HASH_LEN + 1];
	char			 subject[1024], created[32];
	char			 addr[4 * STORE_ADDR_MAX + 4];

	reqid_text(&r->key, id, sizeof(id));
	(void)log_escape((const char *)r->key.txid, r->key.txid_len, txid,
	    sizeof(txid));
	hex_lower(r->key.keyhash, STORE_HASH_LEN, keyhash);
	p = r->subject;
	subject[0] = '\0';
	if ((name = d2i_X509_NAME(NULL, &p, (long)r->subject_len)) == NULL)
		snprintf(subject, sizeof(subject), "?");
	else
		(void)name_text(name, subject, sizeof(subject));
	X509_NAME_free(name);
	if (subject[0] == '\0')
		snprintf(subject, sizeof(subject), "(empty)");
	iso_time(r->created, created, sizeof(created));
	addr[0] = '\0';
	(void)log_escape(r->client_addr, strnlen(r->client_addr,
	    sizeof(r->client_addr)), addr, sizeof(addr));
	if (addr[0] == '\0')
		snprintf(addr, sizeof(addr), "-");
	ERR_clear_error();
	if ((o = row_new(l->rows)) == NULL || !jset_str(o, "id", id) ||
	    !jset_str(o, "tenant", r->key.tenant) ||
	    !jset_str(o, "transaction_id", txid) ||
	    !jset_str(o, "key_hash", keyhash) ||
	    !jset_str(o, "subject", subject) ||
	    !jset_str(o, "created", created) ||
	    !jset_str(o, "client", addr) ||
	    !jset_str(o, "type", r->msgtype == MSGTYPE_RENEWALREQ ?
	    "RenewalReq" : "PKCSReq") ||
	    json_object_set_new(o, "renewal", json_boolean(r->renewal)) != 0 ||
	    json_object_set_new(o, "challenge_ok",
	    json_boolean(r->challenge_ok)) != 0) {
		l->oom = 1;
		return 0;
	}
	return 1;
}

/* request list: the PENDING requests of tenant (NULL: all) into l. */
static int
list_requests(struct listing *l, const char *tenant)
{
	enum store_rc	 src;

	if ((src = store_req_list(l->st, tenant, list_cb, l)) == STORE_OK)
		return 1;
	store_warn(l->st, src, "listing requests");
	return 0;
}

/* scepadm request list [--tenant T] [--json]: the PENDING requests. */
int
cmd_request_list(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const char *const keys[] = { "id", "tenant", "subject",
	    "created", "client", "renewal" };
	static const char *const head[] = { "ID", "TENANT", "SUBJECT",
	    "CREATED", "CLIENT", "RENEWAL" };

	return list_cmd(a, c, argc, argv, list_requests, keys, head,
	    NELEM(keys));
}

/*
 * scepadm request approve ID: issue the certificate a PENDING request
 * asks for (enroll_issue(): signed outside the write transaction, then
 * stored with the request ISSUED).  Prints the serial.
 */
int
cmd_request_approve(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct server		*s = NULL;
	struct store_req	*req = NULL;
	const struct tenant	*t;
	X509			*cert = NULL;
	enum store_rc		 src;
	const char		*id;
	char			 hex[2 * STORE_SERIAL_MAX + 1];
	int			 rc;

	if ((rc = parse_opts(c, argc, argv, NULL, 0, "the request ID is "
	    "missing", &id)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;

	if ((s = load_server(a)) == NULL)
		goto out;
	if (!find_pending(s->store, id, &req))
		goto out;
	if ((t = server_tenant(s, req->key.tenant)) == NULL) {
		warnx("request %s: tenant '%s' is not in %s", id,
		    req->key.tenant, s->conf->path);
		goto out;
	}
	if ((src = enroll_issue(s, t, req, time(NULL), &cert)) != STORE_OK) {
		if (src == STORE_EXISTS)
			warnx("request %s was decided meanwhile",
			    id);
		else
			store_warn(s->store, src, "issuing the certificate");
		goto out;
	}
	if (!cert_serial_hex(cert, hex)) {
		warnx("issued, but cannot print the serial");
		goto out;
	}
	printf("%s\n", hex);
	rc = EXIT_OK;
out:
	X509_free(cert);
	store_req_free(req);
	server_free(s);
	ERR_clear_error();
	return rc;
}

/* scepadm request reject ID [--reason TEXT]. */
int
cmd_request_reject(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct conf		*conf = NULL;
	struct store		*st = NULL;
	struct store_req	*req = NULL;
	const char		*reason = "rejected by the operator", *id;
	enum store_rc		 src;
	size_t			 i;
	int			 rc;
	const struct opt opts[] = {
		{ .name = "reason", .shortc = 'r', .val = &reason },
	};

	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), "the request "
	    "ID is missing", &id)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if (*reason == '\0' || strlen(reason) > STORE_REASON_MAX)
		return usage_err(c, "--reason: 1 to %d characters",
		    STORE_REASON_MAX);
	for (i = 0; reason[i] != '\0'; i++)
		if ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f)
			return usage_err(c, "--reason: no control "
			    "characters");

	if (!conf_store_open(a, NULL, &conf, &st))
		goto out;
	if (!find_pending(st, id, &req))
		goto out;
	if ((src = store_req_reject(st, &req->key, reason, time(NULL))) !=
	    STORE_OK) {
		if (src == STORE_STATE)
			warnx("request %s was decided meanwhile",
			    id);
		else
			store_warn(st, src, "rejecting the request");
		goto out;
	}
	printf("rejected %s\n", id);
	rc = EXIT_OK;
out:
	store_req_free(req);
	store_close(st);
	conf_free(conf);
	return rc;
}

/*
 * scepadm request show ID [--json]: a request in any state.  A PENDING
 * one is found by the short ID request list prints; any other needs the
 * full 64-digit key hash.
 */
int
cmd_request_show(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const char *const states[] = { "?", "PENDING", "ISSUED",
	    "REJECTED" };
	struct conf		*conf = NULL;
	struct store		*st = NULL;
	struct store_req	*r = NULL;
	struct reqid		 id;
	struct store_reqkey	 key;
	X509_NAME		*name = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES		*gn = NULL;
	EVP_PKEY		*pk = NULL;
	json_t			*o = NULL, *arr;
	const unsigned char	*p;
	const char		*text;
	char			 buf[1024], hex[2 * STORE_HASH_LEN + 1];
	char			 sh[2 * STORE_SERIAL_MAX + 1];
	enum store_rc		 src;
	int			 json = 0, rc;
	const struct opt opts[] = {
		{ .name = "json", .shortc = 'j', .flag = &json },
	};

	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), NULL,
	    &text)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if (!conf_store_open(a, NULL, &conf, &st))
		goto out;
	if (reqid_parse(text, &id) && id.keyhash_len == STORE_HASH_LEN) {
		memset(&key, 0, sizeof(key));
		memcpy(key.tenant, id.tenant, sizeof(key.tenant));
		memcpy(key.txid, id.txid, id.txid_len);
		key.txid_len = id.txid_len;
		memcpy(key.keyhash, id.keyhash, STORE_HASH_LEN);
		if ((src = store_req_get(st, &key, &r)) != STORE_OK) {
			if (src == STORE_NOTFOUND)
				warnx("no request %s", text);
			else
				store_warn(st, src, "reading the request");
			goto out;
		}
	} else if (!find_pending(st, text, &r)) {
		warnx("a request no longer PENDING needs its full ID, with "
		    "all 64 digits of the key hash");
		goto out;
	}

	if ((o = json_object()) == NULL)
		goto oom;
	reqid_text(&r->key, buf, sizeof(buf));
	hex_lower(r->key.keyhash, STORE_HASH_LEN, hex);
	if (!jset_str(o, "id", buf) || !jset_str(o, "tenant", r->key.tenant) ||
	    !jset_str(o, "key_hash", hex) ||
	    !jset_str(o, "state", states[r->state <= STORE_REQ_REJECTED ?
	    r->state : 0]) ||
	    !jset_str(o, "type", r->msgtype == MSGTYPE_RENEWALREQ ?
	    "RenewalReq" : "PKCSReq"))
		goto oom;
	p = r->subject;
	if ((name = d2i_X509_NAME(NULL, &p, (long)r->subject_len)) != NULL)
		(void)name_text(name, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "?");
	if (!jset_str(o, "subject", buf))
		goto oom;
	p = r->exts;
	if (r->exts_len > 0 && (exts = d2i_X509_EXTENSIONS(NULL, &p,
	    (long)r->exts_len)) != NULL && (gn = X509V3_get_d2i(exts,
	    NID_subject_alt_name, NULL, NULL)) != NULL) {
		if ((arr = json_array()) == NULL ||
		    json_object_set_new(o, "sans", arr) != 0 ||
		    !sans_json(gn, arr))
			goto oom;
	}
	p = r->pubkey;
	if ((pk = d2i_PUBKEY(NULL, &p, (long)r->pubkey_len)) != NULL)
		key_desc(pk, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "?");
	(void)log_escape(r->client_addr, strnlen(r->client_addr,
	    sizeof(r->client_addr)), sh, sizeof(sh));
	if (!jset_str(o, "key", buf) ||
	    !jset_str(o, "challenge", r->challenge_ok ? "passed" :
	    "not passed") ||
	    !jset_str(o, "client", sh[0] != '\0' ? sh : "-") ||
	    !jset_time(o, "created", r->created) ||
	    !jset_time(o, "updated", r->updated) ||
	    (r->delivered != 0 && !jset_time(o, "delivered", r->delivered)))
		goto oom;
	if (r->renewal) {
		serial_hex(r->renew_serial, r->renew_serial_len, sh);
		if (!jset_str(o, "renews", sh))
			goto oom;
	}
	if (r->state == STORE_REQ_ISSUED) {
		serial_hex(r->serial, r->serial_len, sh);
		if (!jset_str(o, "serial", sh))
			goto oom;
	}
	if (r->state == STORE_REQ_REJECTED) {
		(void)log_escape(r->reason, strnlen(r->reason,
		    sizeof(r->reason)), buf, sizeof(buf));
		if (!jset_str(o, "reason", buf))
			goto oom;
	}
	if (!print_obj(o, json))
		goto out;
	rc = EXIT_OK;
	goto out;
oom:
	warnx("out of memory");
out:
	json_decref(o);
	EVP_PKEY_free(pk);
	GENERAL_NAMES_free(gn);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	store_req_free(r);
	store_close(st);
	conf_free(conf);
	ERR_clear_error();
	return rc;
}
