"""A small web app (the standard library's, where the adapter's example uses FastAPI)."""
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

ITEMS = {str(i): {"id": i, "name": f"item {i}"} for i in range(100)}  # loaded at init


class App(BaseHTTPRequestHandler):
    def _json(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            self._json(200, {"ok": True})
        elif self.path.startswith("/items/"):
            item = ITEMS.get(self.path.rsplit("/", 1)[1])
            self._json(200 if item else 404, item or {"error": "not found"})
        else:
            self._json(200, {"message": "Hello World", "path": self.path})

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8080"))), App).serve_forever()
