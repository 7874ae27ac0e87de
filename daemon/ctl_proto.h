/*
 * ctl_proto.h — the control protocol between rag-ctl and ragd over the unix
 * stream socket (default /run/rag/ragd.sock).
 *
 *   request:  one line "COMMAND[ ARG]...\n" (at most RAG_CTL_MAX_REQUEST
 *             bytes, printable ASCII, arguments separated by one space);
 *             secrets, when a command takes one, follow on a second line.
 *   response: a status line, then a body until the server closes:
 *               "OK\n"                   success
 *               "ERR <code> <message>\n" with code one of RAG_CTL_E_*
 *             Bodies are "key: value" lines (status) or free text.
 *
 * The server identifies the caller with SO_PEERCRED.
 */
#ifndef RAG_CTL_PROTO_H
#define RAG_CTL_PROTO_H

#define RAG_CTL_MAX_REQUEST   4096
/* A request line whose last argument is this marker carries a secret on the
 * second line, hex-encoded (so any byte of a password survives and nothing
 * secret ever sits on the request line, which ragd logs).  The server strips
 * the marker, wipes its buffer after the command and never logs the line. */
#define RAG_CTL_SECRET_MARK   "--secret-follows"
#define RAG_CTL_MAX_SECRET    1024	/* bytes, before hex encoding */
/* a listing of 100,000 users or SAs is ~40 MiB; built in memory, sent nonblocking */
#define RAG_CTL_MAX_RESPONSE  (64 * 1024 * 1024)
#define RAG_CTL_TIMEOUT_MS    5000	/* either side gives up after this */
#define RAG_CTL_MAX_CLIENTS   16	/* concurrent connections served */

enum rag_ctl_code {
	RAG_CTL_E_REFUSED = 1,		/* valid request, refused (rag-ctl exit 1) */
	RAG_CTL_E_USAGE = 2,		/* malformed request (rag-ctl exit 2) */
	RAG_CTL_E_UNKNOWN = 4,		/* command not implemented by this ragd */
	RAG_CTL_E_BUSY = 5,		/* too many clients */
};

#endif
