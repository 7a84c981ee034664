/*
 * scepadm.c: the operator's command line (scepadm(8)): global options,
 * the command table, help and dispatch.
 *
 * Commands come in groups ("tenant create", "request approve", "crl"),
 * dispatched from one table; every command parses its own options with
 * parse_opts() (src/adm_util.c) and has --help.  Exit status: 0
 * success, 1 failure (with a "scepadm: ..." message), 2 usage error.
 * The commands live by group in src/adm_tenant.c (tenant, ca rollover),
 * src/adm_request.c, src/adm_cert.c (cert, issue, crl),
 * src/adm_challenge.c and src/adm_mobileconfig.c; src/adm.h is their
 * shared interface.
 *
 * scepadm works on the same configuration and LMDB environment as the
 * running workers.  Every store call is one short transaction and none
 * is held while anything else happens (STYLE.md B8).  Files follow
 * INTEROP.md 6.4: configuration and keys owned by root (or the admin),
 * readable by the worker's group, keys 0640 and never world-readable;
 * the LMDB environment owned by the worker's user.  Run as root,
 * scepadm opens the database with the effective user and group of the
 * database directory's owner, so that every file LMDB creates stays
 * the worker's, and is root for everything else.
 */
#include "config.h"

#include <sys/stat.h>

#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scep/scep.h"
#include "src/extern.h"
#include "src/adm.h"

/* The command table, in the order scepadm --help lists it. */
static const struct cmd cmds[] = {
	{ "tenant", "create", cmd_tenant_create, "NAME [options]",
	    "Create a tenant: a root CA, its RA, their files and a section "
	    "of scepd.conf",
	    "  --allow-des            accept single DES (micromdm scepclient "
	    "2.1.0)\n"
	    "  --approval auto|manual who approves first enrolments "
	    "(default auto)\n"
	    "  --bits N               RSA CA key size, 2048 to 4096 "
	    "(default 2048)\n"
	    "  --challenge static|otp|none  challenge mode (default "
	    "static)\n"
	    "  --curve P-256|P-384    EC CA curve with --key ec (default "
	    "P-256)\n"
	    "  --database DIR         database directory, for a new "
	    "configuration file\n"
	    "  --days N               CA and RA validity in days (default "
	    "7300)\n"
	    "  --dir DIR              where the keys and certificates go\n"
	    "                         (default /etc/scepd/NAME, or NAME next "
	    "to the configuration)\n"
	    "  --group GROUP          group of the files (the worker's "
	    "group)\n"
	    "  --key rsa|ec           CA key type (default rsa)\n"
	    "  --no-ra                no RA: the RSA CA signs and decrypts "
	    "SCEP messages itself\n"
	    "  --open-enrolment       allow --challenge none with --approval "
	    "auto\n"
	    "  --password PW          the static challenge (default: a "
	    "random one, printed once)\n"
	    "  --pathlen N            basicConstraints pathLenConstraint "
	    "(default 0)\n"
	    "  --subject DN           CA subject, /CN=name/O=org (default "
	    "/CN=NAME SCEP CA)\n"
	    "  --user USER            owner of a new database (the worker's "
	    "user)\n" },
	{ "tenant", "import", cmd_tenant_import,
	    "NAME --ca-cert F --ca-key F --ra-cert F --ra-key F [options]",
	    "Import an existing CA (an intermediate, say) and its RA as a "
	    "tenant",
	    "  --approval auto|manual who approves first enrolments "
	    "(default auto)\n"
	    "  --ca-cert FILE         the CA certificate (PEM)\n"
	    "  --ca-key FILE          its private key (PEM, unencrypted)\n"
	    "  --chain FILE           certificates above the CA (PEM), served "
	    "in GetCACert\n"
	    "  --dir DIR              where the copies go (default as for "
	    "tenant create)\n"
	    "  --group GROUP          group of the files (the worker's "
	    "group)\n"
	    "  --password PW          the static challenge (default: a "
	    "random one, printed once)\n"
	    "  --ra-cert FILE         the RA certificate, issued by the CA "
	    "(RSA,\n"
	    "                         digitalSignature and keyEncipherment)\n"
	    "  --ra-key FILE          its private key\n" },
	{ "tenant", "list", cmd_tenant_list, "[--json]",
	    "List the tenants with their modes and CA",
	    "  --json                 print a JSON array\n" },
	{ "tenant", "show", cmd_tenant_show, "NAME [--json]",
	    "Show a tenant's settings (no secrets) and its CA and RA",
	    "  --json                 print a JSON object\n" },
	{ "tenant", "check", cmd_tenant_check, "NAME",
	    "Report what real clients would reject; exit 1 if anything",
	    "" },
	{ "ca", "rollover", cmd_ca_rollover,
	    "NAME [--at TIME | --in DUR] [--days N] | NAME --finish",
	    "Make the next CA and RA, served by GetNextCACert until they "
	    "switch",
	    "  --at TIME              switch at this UTC time, "
	    "YYYY-MM-DDTHH:MM:SSZ\n"
	    "  --days N               next CA and RA validity in days "
	    "(default 7300)\n"
	    "  --finish               after the switch: the new CA and RA "
	    "become ca_* and ra_*,\n"
	    "                         the old CA previous_ca_*\n"
	    "  --in DUR               switch after DUR: 30d (default), 12h, "
	    "90s, 2w\n" },
	{ "issue", NULL, cmd_issue, "TENANT --csr FILE [--days N] [-o FILE]",
	    "Sign a CSR outside SCEP under the tenant's policy and record it",
	    "  --csr FILE             the PKCS#10 request (PEM or DER)\n"
	    "  --days N               validity in days (default: the "
	    "tenant's validity)\n"
	    "  -o, --output FILE      write the PEM to the new FILE, not "
	    "stdout\n" },
	{ "request", "list", cmd_request_list, "[--json] [--tenant T]",
	    "List the PENDING requests",
	    "  --json                 print a JSON array\n"
	    "  --tenant T             only the requests of tenant T\n" },
	{ "request", "approve", cmd_request_approve, "ID",
	    "Issue the certificate a PENDING request asks for and print its "
	    "serial",
	    "" },
	{ "request", "reject", cmd_request_reject, "ID [--reason TEXT]",
	    "Reject a PENDING request",
	    "  --reason TEXT          the reason kept with the request\n" },
	{ "request", "show", cmd_request_show, "ID [--json]",
	    "Show a request: a PENDING one by its listed ID, any other by "
	    "its full ID",
	    "  --json                 print a JSON object\n" },
	{ "cert", "revoke", cmd_cert_revoke,
	    "SERIAL [--tenant T] [--reason REASON]",
	    "Revoke a certificate and regenerate its tenant's CRL",
	    "  --reason REASON        unspecified (default), keyCompromise, "
	    "cACompromise,\n"
	    "                         affiliationChanged, superseded, "
	    "cessationOfOperation,\n"
	    "                         privilegeWithdrawn or aACompromise\n"
	    "  --tenant T             the tenant (needed only when several "
	    "hold the serial)\n" },
	{ "cert", "list", cmd_cert_list,
	    "[--json] [--tenant T] [--expiring DUR] [--subject TEXT]",
	    "List the stored certificates (with the RA's) by notAfter",
	    "  --expiring DUR         only valid ones expiring within DUR "
	    "(30d, 12h, 2w)\n"
	    "  --json                 print a JSON array\n"
	    "  --subject TEXT         only subjects containing TEXT (any "
	    "case)\n"
	    "  --tenant T             only the certificates of tenant T\n" },
	{ "cert", "show", cmd_cert_show, "SERIAL [--tenant T] [--json]",
	    "Show a stored certificate",
	    "  --json                 print a JSON object\n"
	    "  --tenant T             the tenant (needed only when several "
	    "hold the serial)\n" },
	{ "cert", "export", cmd_cert_export, "SERIAL [--tenant T] [-o FILE]",
	    "Write a stored certificate as PEM",
	    "  -o, --output FILE      write it to the new FILE, not stdout\n"
	    "  --tenant T             the tenant (needed only when several "
	    "hold the serial)\n" },
	{ "mobileconfig", NULL, cmd_mobileconfig,
	    "TENANT --url URL [options]",
	    "Write an Apple configuration profile (SCEP and root payloads)",
	    "  --challenge PW         the challenge (default: the tenant's "
	    "static one)\n"
	    "  --keysize N            RSA key size, 1024, 2048 or 4096 "
	    "(default 2048)\n"
	    "  --name NAME            the Name key, sent as message= "
	    "(default TENANT)\n"
	    "  -o, --output FILE      write it to the new FILE (0600), not "
	    "stdout\n"
	    "  --otp                  a fresh one-time challenge in the "
	    "profile\n"
	    "  --san TYPE:VALUE       a subjectAltName: dns:, email:, uri: "
	    "or upn: (repeatable)\n"
	    "  --sign-cert FILE       sign the profile (CMS) with this "
	    "certificate ...\n"
	    "  --sign-key FILE        ... and this key\n"
	    "  --subject DN           CN=x,O=y or /CN=x/O=y\n"
	    "  --ttl DUR              lifetime of the --otp challenge "
	    "(default 7d)\n"
	    "  --url URL              the SCEP URL devices enrol at\n" },
	{ "challenge", "create", cmd_challenge_create,
	    "TENANT [--ttl D] [--subject DN] [--count N] [--json]",
	    "Make one-time challenge passwords (challenge = otp) and print "
	    "them once",
	    "  --count N              how many, 1 to 1000 (default 1)\n"
	    "  --json                 print a JSON array\n"
	    "  --subject DN           only for a CSR with this subject, "
	    "/CN=name/O=org\n"
	    "  --ttl D                lifetime: N, Ns, Nm, Nh or Nd "
	    "(default 1h)\n" },
	{ "challenge", "list", cmd_challenge_list, "[--json] [--tenant T]",
	    "List one-time challenges: id, state, expiry, binding (never "
	    "the password)",
	    "  --json                 print a JSON array\n"
	    "  --tenant T             only the challenges of tenant T\n" },
	{ "challenge", "revoke", cmd_challenge_revoke, "ID [--tenant T]",
	    "Revoke an unused one-time challenge",
	    "  --tenant T             the tenant (default: whichever has "
	    "ID)\n" },
	{ "challenge", "purge", cmd_challenge_purge,
	    "[--tenant T] [--older-than D]",
	    "Delete one-time challenges that expired (and, if used, were "
	    "used) more than D ago",
	    "  --older-than D         N, Ns, Nm, Nh or Nd (default 30d)\n"
	    "  --tenant T             only the challenges of tenant T\n" },
	{ "crl", NULL, cmd_crl, "TENANT [-o FILE] [--pem] [--previous]",
	    "Generate, sign and store a new CRL and write it out",
	    "  -o, --output FILE      write it to FILE (atomically); default "
	    "stdout,\n"
	    "                         unless that is a terminal\n"
	    "  --pem                  PEM instead of DER\n"
	    "  --previous             the CRL of the CA the tenant rolled "
	    "over from\n" },
};

/* The list of commands, on f. */
static void
usage_all(FILE *f)
{
	char	 w[64];
	size_t	 i;

	fprintf(f, "usage: scepadm [-f file] command [arguments]\n\n"
	    "Commands:\n");
	for (i = 0; i < NELEM(cmds); i++) {
		cmd_words(&cmds[i], w, sizeof(w));
		fprintf(f, "  %s %s\n", w, cmds[i].synopsis);
	}
	fprintf(f, "\nEvery command takes --help.  The configuration is -f "
	    "file, else $%s,\nelse %s.\n", CONF_PATH_ENV, CONF_PATH_DEFAULT);
}

/*
 * scepadm [-f file] command [arguments]: find the command in cmds[] and
 * run it.  Returns the command's exit status (EXIT_OK, EXIT_FAIL or
 * EXIT_USAGE).
 */
int
main(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct adm	 a;
	const char	*group, *name = NULL;
	size_t		 i;
	int		 ch, known = 0, rc;

	/* Modes come out as asked for (keys are created 0640 anyway). */
	umask(022);
	memset(&a, 0, sizeof(a));
	if ((a.conf_path = getenv(CONF_PATH_ENV)) == NULL ||
	    *a.conf_path == '\0')
		a.conf_path = CONF_PATH_DEFAULT;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:f:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'f':
			a.conf_path = optarg;
			break;
		case 'h':
			usage_all(stdout);
			return EXIT_OK;
		case ':':
			warnx("%s needs a value", argv[optind - 1]);
			usage_all(stderr);
			return EXIT_USAGE;
		default:
			warnx("unknown option %s", argv[optind - 1]);
			usage_all(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage_all(stderr);
		return EXIT_USAGE;
	}
	group = argv[0];
	if (strcmp(group, "help") == 0) {
		usage_all(stdout);
		return EXIT_OK;
	}
	if (!scep_init()) {
		warnx("cannot initialise the SCEP library");
		return EXIT_FAIL;
	}
	log_open(NULL, "scepadm");

	/* "group name args" or "group args" (crl). */
	for (i = 0; i < NELEM(cmds); i++) {
		if (strcmp(cmds[i].group, group) != 0)
			continue;
		known = 1;
		if (cmds[i].name == NULL)
			break;
		if (argc > 1 && strcmp(cmds[i].name, argv[1]) == 0) {
			name = argv[1];
			break;
		}
	}
	if (i == NELEM(cmds)) {
		if (!known)
			warnx("unknown command '%s'", group);
		else if (argc > 1 && strcmp(argv[1], "--help") != 0 &&
		    strcmp(argv[1], "-h") != 0)
			warnx("unknown command '%s %s'", group, argv[1]);
		else if (argc > 1) {
			usage_all(stdout);
			return EXIT_OK;
		} else
			warnx("'%s' needs a subcommand", group);
		usage_all(stderr);
		log_close();
		return EXIT_USAGE;
	}
	/* The command sees its own word as argv[0]. */
	if (name != NULL) {
		argc--;
		argv++;
	}
	rc = cmds[i].fn(&a, &cmds[i], argc, argv);
	log_close();
	return rc;
}
