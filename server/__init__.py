"""`psigraph serve`: a local streaming server (aiohttp) for host apps and the browser viewer."""
