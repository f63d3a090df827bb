#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# smtp_receiver.py — a local SMTP server for the outbox tests (Debian python3-aiosmtpd): stores
# each received message as DIR/<n>.eml (the raw RFC 5322 text, envelope in DIR/<n>.env) and
# prints "listening PORT" once ready. Usage: smtp_receiver.py DIR [PORT]  (PORT 0 = any free).
import asyncio
import os
import socket
import sys

from aiosmtpd.controller import Controller


class Store:
    def __init__(self, folder):
        self.folder = folder
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.folder, f"{self.n:06d}")
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".env", "w") as f:
            f.write(envelope.mail_from + "\n" + "\n".join(envelope.rcpt_tos) + "\n")
        os.rename(base + ".tmp", base + ".eml")
        return "250 OK"


def main():
    folder = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    if port == 0:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    os.makedirs(folder, exist_ok=True)
    ctl = Controller(Store(folder), hostname="127.0.0.1", port=port, decode_data=False)
    ctl.start()
    print(f"listening {port}", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        ctl.stop()


if __name__ == "__main__":
    main()
