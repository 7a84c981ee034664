/*
 * http.c: the HTTP adapter over an FCGX_Request or the CGI environment,
 * and the route parser of INTEROP.md 6.6.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "cgi-bin/http.h"

/* A request parameter from FastCGI or the environment. */
static const char *
param(const struct http_req *r, const char *name)
{
	if (r->fcgi != NULL)
		return FCGX_GetParam(name, r->fcgi->envp);
	return getenv(name);
}

/*
 * Fill *r from the request's parameters.  REQUEST_URI is what nginx and
 * lighttpd pass; a bare CGI host may only give SCRIPT_NAME and PATH_INFO.
 */
void
http_req_init(struct http_req *r, FCGX_Request *fcgi)
{
	static char	 uri[4096];
	const char	*sn, *pi;

	memset(r, 0, sizeof(*r));
	r->fcgi = fcgi;
	if ((r->method = param(r, "REQUEST_METHOD")) == NULL)
		r->method = "GET";
	if ((r->query = param(r, "QUERY_STRING")) == NULL)
		r->query = "";
	if ((r->remote = param(r, "REMOTE_ADDR")) == NULL)
		r->remote = "-";
	r->clen = param(r, "CONTENT_LENGTH");
	if ((r->uri = param(r, "REQUEST_URI")) == NULL) {
		sn = param(r, "SCRIPT_NAME");
		pi = param(r, "PATH_INFO");
		snprintf(uri, sizeof(uri), "%s%s", sn ? sn : "", pi ? pi : "");
		r->uri = uri;
	}
}

/* Value of a hex digit, or -1. */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Whether s is a tenant name: [a-z0-9][a-z0-9_-]{0,62}. */
static int
tenant_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i > 0 && (s[i] == '_' || s[i] == '-'))
			continue;
		return 0;
	}
	return 1;
}

/*
 * Route a request URI; see http.h.  Reserved first segments (scep,
 * cgi-bin, crl, auth) are never tenants.
 */
enum http_route
http_route(const char *uri, char *tenant, size_t tenantsz)
{
	char		 path[1024];
	size_t		 i, n = 0, seg;
	int		 hi, lo;
	const char	*rest;

	tenant[0] = '\0';
	/* Percent-decode the path once, refusing control bytes. */
	for (i = 0; uri[i] != '\0' && uri[i] != '?'; i++) {
		unsigned char c = (unsigned char)uri[i];

		if (c == '%') {
			if ((hi = hexval(uri[i + 1])) < 0 ||
			    (lo = hexval(uri[i + 2])) < 0)
				return ROUTE_NONE;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || n + 1 >= sizeof(path))
			return ROUTE_NONE;
		path[n++] = (char)c;
	}
	path[n] = '\0';
	if (path[0] != '/' || strstr(path, "..") != NULL ||
	    strstr(path, "//") != NULL)
		return ROUTE_NONE;

	/* The default tenant's paths. */
	if (strcmp(path, "/cgi-bin/pkiclient.exe") == 0 ||
	    strcmp(path, "/scep") == 0 || strncmp(path, "/scep/", 6) == 0)
		return ROUTE_SCEP;

	/* /<tenant>/scep[/...] and /<tenant>/crl. */
	seg = strcspn(path + 1, "/");
	if (!tenant_ok(path + 1, seg) || seg + 1 > tenantsz - 1)
		return ROUTE_NONE;
	if ((seg == 4 && (memcmp(path + 1, "scep", 4) == 0 ||
	    memcmp(path + 1, "auth", 4) == 0)) ||
	    (seg == 3 && memcmp(path + 1, "crl", 3) == 0) ||
	    (seg == 7 && memcmp(path + 1, "cgi-bin", 7) == 0))
		return ROUTE_NONE;
	rest = path + 1 + seg;
	memcpy(tenant, path + 1, seg);
	tenant[seg] = '\0';
	if (strcmp(rest, "/scep") == 0 || strncmp(rest, "/scep/", 6) == 0)
		return ROUTE_SCEP;
	if (strcmp(rest, "/crl") == 0)
		return ROUTE_CRL;
	tenant[0] = '\0';
	return ROUTE_NONE;
}

/* Find name=value in query; see http.h. */
const char *
http_query_param(const char *query, const char *name, size_t *len)
{
	const char	*p = query, *end;
	size_t		 nl = strlen(name);

	while (p != NULL && *p != '\0') {
		end = strchr(p, '&');
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			p += nl + 1;
			*len = end != NULL ? (size_t)(end - p) : strlen(p);
			return p;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

/* Percent-decode v[0..len) into buf; '+' stays '+'.  1 or 0. */
int
http_query_decode(const char *v, size_t len, char *buf, size_t bufsz)
{
	size_t	 i, n = 0;
	int	 hi, lo;
	char	 c;

	for (i = 0; i < len; i++) {
		c = v[i];
		if (c == '%') {
			if (i + 2 >= len)
				return 0;
			if ((hi = hexval(v[i + 1])) < 0 ||
			    (lo = hexval(v[i + 2])) < 0)
				return 0;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0' || n + 1 >= bufsz)
			return 0;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return 1;
}

/*
 * Read the request body; see http.h.  CONTENT_LENGTH is parsed strictly
 * (digits only, no sign, bounded) before anything is allocated.
 */
int
http_read_body(struct http_req *r, size_t max, uint8_t **body, size_t *len,
    int *status)
{
	const char	*p;
	size_t		 n = 0, got = 0;
	uint8_t		*buf = NULL;
	int		 rd;
	ssize_t		 sr;

	*body = NULL;
	*len = 0;
	if ((p = r->clen) == NULL || *p == '\0') {
		*status = 411;
		return 0;
	}
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || n > max) {
			*status = *p < '0' || *p > '9' ? 400 : 413;
			return 0;
		}
		n = n * 10 + (size_t)(*p - '0');
	}
	if (n > max) {
		*status = 413;
		return 0;
	}
	if (n == 0) {
		*status = 400;
		return 0;
	}
	if ((buf = malloc(n)) == NULL) {
		*status = 503;
		return 0;
	}
	while (got < n) {
		if (r->fcgi != NULL) {
			rd = FCGX_GetStr((char *)buf + got, (int)(n - got),
			    r->fcgi->in);
			if (rd <= 0)
				break;
			got += (size_t)rd;
		} else {
			sr = read(STDIN_FILENO, buf + got, n - got);
			if (sr < 0 && errno == EINTR)
				continue;
			if (sr <= 0)
				break;
			got += (size_t)sr;
		}
	}
	if (got != n) {
		free(buf);
		*status = 400;
		return 0;
	}
	*body = buf;
	*len = n;
	return 1;
}

/* The reason phrase of a status code we send. */
static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

/* Write all of buf to the response; 1 or 0. */
static int
out(struct http_req *r, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 w;

	if (len == 0)
		return 1;
	if (r->fcgi != NULL)
		return FCGX_PutStr(buf, (int)len, r->fcgi->out) == (int)len;
	while (len > 0) {
		if ((w = write(STDOUT_FILENO, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		p += w;
		len -= (size_t)w;
	}
	return 1;
}

/*
 * Send the status line (CGI "Status:" header), the content type (bare,
 * never with a charset: INTEROP.md 2.5 row 3), the length and the body.
 */
int
http_reply(struct http_req *r, int status, const char *ctype,
    const uint8_t *body, size_t len)
{
	char	 hdr[256];
	int	 n;

	if (r->replied)
		return 1;
	r->replied = 1;
	if (ctype == NULL) {
		ctype = "text/plain";
		body = (const uint8_t *)reason(status);
		len = strlen(reason(status));
	}
	n = snprintf(hdr, sizeof(hdr),
	    "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n\r\n", status, reason(status),
	    ctype, len);
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return 0;
	return out(r, hdr, (size_t)n) && out(r, body, len);
}
