/*
 * main.c: scepd start-up and the worker loop.
 *
 * One binary serves both modes: a FastCGI worker when started by
 * spawn-fcgi or a web server (the FastCGI socket is standard input), a
 * plain CGI program otherwise.  Everything a worker needs is loaded
 * once at start (server_new()); SIGHUP, a change of the configuration
 * file, or the switch time of a CA rollover (server->next_switch)
 * reloads it between two requests, and a failed reload keeps the old
 * configuration serving.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "scep/scep.h"
#include "src/extern.h"
#include "src/store.h"
#include "src/server.h"
#include "cgi-bin/http.h"
#include "cgi-bin/extern.h"

static volatile sig_atomic_t	 reload;
static volatile sig_atomic_t	 quit;
static volatile sig_atomic_t	 busy;

static void
on_hup(int sig)
{
	(void)sig;
	reload = 1;
}

/* SIGTERM: leave at once when idle, else after the current request. */
static void
on_term(int sig)
{
	(void)sig;
	if (!busy)
		_exit(0);
	quit = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: scepd [-n] [-f file]\n");
	exit(2);
}

/*
 * What tells one version of the configuration file from the next:
 * scepadm replaces it by rename (a new inode), an editor may rewrite it
 * in place within the same second (size, nanosecond mtime).  All zero
 * when it cannot be read.
 */
struct fileid {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtim;
};

static void
fileid_of(const char *path, struct fileid *id)
{
	struct stat	 st;

	memset(id, 0, sizeof(*id));
	if (stat(path, &st) == 0) {
		id->dev = st.st_dev;
		id->ino = st.st_ino;
		id->size = st.st_size;
		id->mtim = st.st_mtim;
	}
}

static int
fileid_changed(const char *path, const struct fileid *id)
{
	struct fileid	 now;

	fileid_of(path, &now);
	return now.dev != id->dev || now.ino != id->ino ||
	    now.size != id->size || now.mtim.tv_sec != id->mtim.tv_sec ||
	    now.mtim.tv_nsec != id->mtim.tv_nsec;
}

/* Load a server, logging why not. */
static struct server *
load(const char *path, const char *what)
{
	struct server	*s;
	char		 err[1024];

	if ((s = server_new(path, SERVER_STORE, err, sizeof(err))) == NULL)
		log_msg(LOG_ERR, "%s: %s", what, err);
	return s;
}

/*
 * INTEROP.md 6.4: the configuration and keys must be readable, not
 * writable, by the worker.  A worker running as root (which can write
 * anything) is warned about; any other worker refuses to start.
 */
static int
files_ok(const struct server *s)
{
	char	 err[512];

	if (conf_check_files(s->conf, err, sizeof(err)))
		return 1;
	if (geteuid() == 0) {
		log_msg(LOG_WARNING, "running as root: %s", err);
		return 1;
	}
	log_msg(LOG_ERR, "%s", err);
	return 0;
}

/* How often a FastCGI worker forgets nonces past replay_window. */
#define NONCE_EXPIRE_EVERY	60

/*
 * Forget the senderNonces that every tenant's replay_window has let go
 * of (the longest window decides; enroll.c applies each tenant's own),
 * after the reply is sent, in short write transactions.
 */
static void
expire_nonces(const struct server *s)
{
	time_t		 window = 0;
	size_t		 i;
	enum store_rc	 rc;

	for (i = 0; i < s->ntenants; i++)
		if (s->tenants[i]->conf->replay_window > window)
			window = s->tenants[i]->conf->replay_window;
	if (window == 0 || s->store == NULL)
		return;
	if ((rc = store_nonce_expire(s->store, time(NULL), window, NULL)) !=
	    STORE_OK)
		log_msg(LOG_WARNING, "forgetting old nonces: %s: %s",
		    store_rc_str(rc), store_errstr(s->store));
}

/* One request in CGI mode; the store is opened for it alone. */
static int
cgi(const char *path)
{
	struct server	*s;
	struct http_req	 r;

	log_open(NULL, "scepd");
	/* lmdb.h caveat: retry a failed open once. */
	if ((s = load(path, "start")) == NULL && (s = load(path, "start")) ==
	    NULL) {
		http_req_init(&r, NULL);
		http_reply(&r, 503, NULL, NULL, 0);
		return 1;
	}
	log_close();
	log_open(s->conf, "scepd");
	http_req_init(&r, NULL);
	if (!files_ok(s))
		http_reply(&r, 503, NULL, NULL, 0);
	else {
		dispatch(s, &r);
		expire_nonces(s);
	}
	server_free(s);
	log_close();
	return 0;
}

/*
 * Load the configuration at path again into *sp: the old server's
 * store is closed first (one environment per process); a failed load
 * keeps the old server, with its store opened again.  Returns 1, or 0
 * when even that failed (the worker cannot serve).
 */
static int
reload_server(const char *path, struct server **sp)
{
	struct server	*s = *sp, *ns;
	char		 err[512];

	store_close(s->store);
	s->store = NULL;
	if ((ns = load(path, "reload")) == NULL) {
		s->store = store_open(s->conf->database, 0, s->conf->map_size,
		    err, sizeof(err));
		if (s->store == NULL) {
			log_msg(LOG_ERR, "reopen: %s", err);
			return 0;
		}
		return 1;
	}
	server_free(s);
	*sp = ns;
	log_close();
	log_open(ns->conf, "scepd");
	log_msg(LOG_INFO, "configuration reloaded");
	return 1;
}

/*
 * Whether a CA rollover's switch time has come for s (tried at most
 * once a second, so a failing reload does not run for every request).
 */
static int
switch_due(const struct server *s, time_t *last)
{
	time_t	 now;

	if (s->next_switch == 0 || (now = time(NULL)) < s->next_switch ||
	    now == *last)
		return 0;
	*last = now;
	return 1;
}

/* The FastCGI worker loop. */
static int
worker(const char *path)
{
	struct server		*s;
	struct http_req		 r;
	FCGX_Request		 req;
	struct sigaction	 sa;
	struct fileid		 fid;
	time_t			 last_check = 0, last_switch = 0, now;
	time_t			 last_expire = 0;
	size_t			 served = 0;
	int			 dead, ok = 1;

	log_open(NULL, "scepd");
	if ((s = load(path, "start")) == NULL)
		return 1;
	log_close();
	log_open(s->conf, "scepd");
	if (!files_ok(s))
		return 1;
	fileid_of(path, &fid);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	/* Dead workers leave reader slots (STYLE.md B8). */
	if (store_reader_check(s->store, &dead) == STORE_OK && dead > 0)
		log_msg(LOG_NOTICE, "cleared %d stale reader slots", dead);
	log_msg(LOG_INFO, "worker %ld ready, %zu tenants", (long)getpid(),
	    s->ntenants);

	if (FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (ok && !quit && FCGX_Accept_r(&req) >= 0) {
		busy = 1;
		/*
		 * Reload before serving on SIGHUP, a changed file (looked
		 * at once a second at most) or a rollover's switch time,
		 * so that the request sees the new state.
		 */
		now = time(NULL);
		if (!reload && now != last_check) {
			last_check = now;
			if (fileid_changed(path, &fid))
				reload = 1;
		}
		if (switch_due(s, &last_switch)) {
			log_msg(LOG_INFO, "CA rollover due: reloading");
			reload = 1;
		}
		if (reload) {
			reload = 0;
			fileid_of(path, &fid);
			ok = reload_server(path, &s);
		}
		http_req_init(&r, &req);
		if (ok)
			dispatch(s, &r);
		else
			http_reply(&r, 503, NULL, NULL, 0);
		FCGX_Finish_r(&req);
		busy = 0;
		if (ok && ++served % s->conf->reader_check_interval == 0)
			(void)store_reader_check(s->store, NULL);
		if (ok && now - last_expire >= NONCE_EXPIRE_EVERY) {
			last_expire = now;
			expire_nonces(s);
		}
	}
	server_free(s);
	log_close();
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*path;
	int		 ch, check = 0;
	char		 err[1024];
	struct server	*s;

	if ((path = getenv(CONF_PATH_ENV)) == NULL || *path == '\0')
		path = CONF_PATH_DEFAULT;
	while ((ch = getopt(argc, argv, "f:n")) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (check) {
		/* -n: load and check everything, then exit. */
		if ((s = server_new(path, 0, err, sizeof(err))) == NULL) {
			fprintf(stderr, "scepd: %s\n", err);
			return 1;
		}
		if (!conf_check_files(s->conf, err, sizeof(err)))
			fprintf(stderr, "scepd: warning: %s\n", err);
		printf("%s: configuration OK, %zu tenants\n", path,
		    s->ntenants);
		server_free(s);
		return 0;
	}
	if (FCGX_Init() != 0)
		return 1;
	if (FCGX_IsCGI())
		return cgi(path);
	return worker(path);
}
