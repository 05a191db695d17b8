/* The smallest honest custom runtime: a static C program that speaks the Runtime API over one
 * TCP connection with no library. Used to find coldbench's measurement floor. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static int dial(const char *api) {
  char host[64];
  const char *colon = strrchr(api, ':');
  if (!colon || colon - api >= (long)sizeof host) exit(2);
  memcpy(host, api, colon - api);
  host[colon - api] = 0;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(colon + 1))};
  inet_pton(AF_INET, host, &sa.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) exit(2);
  return fd;
}

/* Reads one HTTP response; returns its body length and copies the request id header if present. */
static void read_response(int fd, char *reqid) {
  static char buf[1 << 16];
  size_t n = 0;
  char *end = NULL;
  while (!end) {
    ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
    if (r <= 0) exit(3);
    n += r;
    buf[n] = 0;
    end = strstr(buf, "\r\n\r\n");
  }
  long clen = 0;
  for (char *line = strstr(buf, "\r\n") + 2; line < end; line = strstr(line, "\r\n") + 2) {
    if (strncasecmp(line, "Content-Length:", 15) == 0) clen = atol(line + 15);
    if (reqid && strncasecmp(line, "Lambda-Runtime-Aws-Request-Id:", 30) == 0) {
      char *v = line + 30;
      while (*v == ' ') v++;
      size_t l = strcspn(v, "\r");
      memcpy(reqid, v, l);
      reqid[l] = 0;
    }
  }
  long have = (long)(n - (end + 4 - buf));
  while (have < clen) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r <= 0) exit(3);
    have += r;
  }
}

int main(void) {
  const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
  if (!api) return 1;
  int fd = dial(api);
  char req[512], reqid[128];
  for (;;) {
    int l = snprintf(req, sizeof req, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n", api);
    if (write(fd, req, l) != l) return 4;
    reqid[0] = 0;
    read_response(fd, reqid);
    l = snprintf(req, sizeof req,
                 "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\n"
                 "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
                 reqid, api);
    if (write(fd, req, l) != l) return 4;
    read_response(fd, NULL);
  }
}
