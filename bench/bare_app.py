"""A bare FastAPI app: one route that answers as prepdeck's /livez, with no middleware.

bench/http measures it first, in the same run as `prepdeck serve`, and states every route as
a ratio to it: what prepdeck costs over FastAPI itself.

Usage: python bench/bare_app.py PORT
"""

import sys

import uvicorn
from fastapi import FastAPI

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/")
async def read_root() -> dict[str, str]:
    """Answer at once, doing no work."""
    return {"status": "ok"}


if __name__ == "__main__":
    # The uvicorn options of `prepdeck serve` that bear on speed: the httptools protocol,
    # no access log, no Server header.
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        http="httptools",
        access_log=False,
        server_header=False,
        log_level="warning",
    )
