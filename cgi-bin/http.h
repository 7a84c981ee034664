/*
 * http.h: the front end's HTTP adapter (FastCGI or CGI) and routing.
 * Only cgi-bin/ knows HTTP status codes and MIME types.
 */
#ifndef CGI_BIN_HTTP_H
#define CGI_BIN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>

/* One request, read from FastCGI parameters or the CGI environment. */
struct http_req {
	FCGX_Request	*fcgi;		/* NULL in CGI mode */
	const char	*method;	/* REQUEST_METHOD */
	const char	*uri;		/* REQUEST_URI (or SCRIPT_NAME+PATH_INFO) */
	const char	*query;		/* QUERY_STRING, "" if unset */
	const char	*remote;	/* REMOTE_ADDR, "-" if unset */
	const char	*clen;		/* CONTENT_LENGTH or NULL */
	int		 replied;
};

/* Where a request goes (INTEROP.md 6.6). */
enum http_route {
	ROUTE_NONE,		/* 404 */
	ROUTE_SCEP,		/* /<tenant>/scep[/...], /scep[/...], pkiclient.exe */
	ROUTE_CRL,		/* /<tenant>/crl */
	ROUTE__MAX
};

/* Fill *r from FastCGI parameters (fcgi not NULL) or the environment. */
void		 http_req_init(struct http_req *r, FCGX_Request *fcgi);

/*
 * Route a request URI: the path before '?', percent-decoded once; "..",
 * "//", control bytes and bad escapes give ROUTE_NONE.  The tenant
 * name is copied to tenant (at most 63 chars, [a-z0-9][a-z0-9_-]*) or
 * left empty for the default tenant.
 */
enum http_route	 http_route(const char *uri, char *tenant, size_t tenantsz);

/*
 * Find parameter name in a query string and return its raw value
 * (not decoded) with its length; NULL if absent.
 */
const char	*http_query_param(const char *query, const char *name,
		    size_t *len);

/* Percent-decode a query value into buf (NUL-terminated); 1 or 0. */
int		 http_query_decode(const char *v, size_t len, char *buf,
		    size_t bufsz);

/*
 * Read the body: CONTENT_LENGTH parsed with bounds (1..max), then
 * exactly that many bytes.  Returns 1 with *body (free()) and *len; 0
 * with *status set: 411 no length, 413 over max, 400 short read.
 */
int		 http_read_body(struct http_req *r, size_t max, uint8_t **body,
		    size_t *len, int *status);

/* Send a complete response; ctype may be NULL for no body. */
int		 http_reply(struct http_req *r, int status, const char *ctype,
		    const uint8_t *body, size_t len);

#endif /* CGI_BIN_HTTP_H */
