/*
 * extern.h: cgi-bin/ internals.
 */
#ifndef CGI_BIN_EXTERN_H
#define CGI_BIN_EXTERN_H

struct server;
struct http_req;

/* Serve one request of r with s and log it (dispatch.c). */
void	 dispatch(struct server *s, struct http_req *r);

#endif /* CGI_BIN_EXTERN_H */
