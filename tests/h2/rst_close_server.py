#!/usr/bin/env python3
"""A TLS HTTP/2 server for tests/h2 (python3-h2): it answers each POST with a Modellix submit
envelope, except the POST number --reset-post (counted over all connections), which it reads whole
(the task would be created) and then ends with RST_STREAM(INTERNAL_ERROR) followed at once by a
clean TLS close (close_notify), without GOAWAY, both in one TCP segment. libcurl 7.88.1 then takes
that stream for one never processed: it wants to send the request again, with no error message.

Usage: rst_close_server.py CERT_DIR RESET_POST
Prints "port N" once listening, then one line per event ("post N", "reset N", "conn N"), flushed.
Stops on SIGTERM."""
import json
import socket
import ssl
import sys
import threading

import h2.config
import h2.connection
import h2.errors
import h2.events

CERTS, RESET_POST = sys.argv[1], int(sys.argv[2])
LOCK = threading.Lock()
COUNT = {"post": 0, "conn": 0, "reset": 0}


def say(kind):
    with LOCK:
        COUNT[kind] += 1
        n = COUNT[kind]
        print(kind, n, flush=True)
    return n


def answer(conn, stream_id, n):
    body = json.dumps({"code": 0, "message": "success",
                       "data": {"status": "pending", "task_id": "task-h2-%d" % n}}).encode()
    conn.send_headers(stream_id, [(":status", "200"), ("content-type", "application/json"),
                                  ("content-length", str(len(body)))])
    conn.send_data(stream_id, body, end_stream=True)


def serve(tls):
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    tls.sendall(conn.data_to_send())
    while True:
        data = tls.recv(65536)
        if not data:
            return
        for ev in conn.receive_data(data):
            if not isinstance(ev, h2.events.StreamEnded):
                continue
            n = say("post")
            if n != RESET_POST:
                answer(conn, ev.stream_id, n)
                continue
            conn.reset_stream(ev.stream_id, h2.errors.ErrorCodes.INTERNAL_ERROR)
            tls.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            tls.sendall(conn.data_to_send())
            try:
                tls.unwrap()  # close_notify; the client sends none back
            except (ssl.SSLError, OSError):
                pass
            say("reset")
            return
        tls.sendall(conn.data_to_send())


def run(raw, ctx):
    try:
        with ctx.wrap_socket(raw, server_side=True) as tls:
            say("conn")
            serve(tls)
    except (ssl.SSLError, OSError):
        pass
    finally:
        raw.close()


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERTS + "/server.pem", CERTS + "/server.key")
    ctx.set_alpn_protocols(["h2"])
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    print("port", ls.getsockname()[1], flush=True)
    while True:
        raw, _ = ls.accept()
        threading.Thread(target=run, args=(raw, ctx), daemon=True).start()


if __name__ == "__main__":
    main()
