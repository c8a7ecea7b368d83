"""The trivial upstream of the edge benchmark: FastAPI JSON hello, as in the infra baselines."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/{path:path}")
async def hello(path: str) -> dict[str, str]:
    return {"hello": "world"}
