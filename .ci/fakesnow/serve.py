"""fakesnow's HTTP server (``fakesnow.server.app``) for the auditor's Snowflake tests.

Run with the Python of the venv that ``.ci/fakesnow/requirements.txt`` describes (``.ci/run``'s
``provision_fakesnow``): ``python serve.py PORT``. ``tests/fakesnow.py`` starts it once per test
session on a free loopback port and talks to it with the real Snowflake connector (5.x).

Three additions, each to make up for something fakesnow 0.12.1 does not do, and nothing else:

1. **Login fields of the 5.x connector.** Its native core refuses a login answer without
   ``masterToken``, ``sessionId`` and validity periods (fakesnow answers what the 4.x connector
   needed). They are added to fakesnow's own answer; the session token is fakesnow's.
2. **Faults fakesnow cannot make** (``POST /auditor-test/faults``, JSON; ``{}`` clears):
   ``password`` (logins with any other password answer Snowflake's 390100 "Incorrect username
   or password was specified."; fakesnow accepts every login), ``deny`` (table names whose
   SELECTs answer Snowflake's 003001 "Insufficient privileges to operate on table"; fakesnow has
   no privileges), ``slow`` (table name -> seconds a SELECT of it waits; past the session's
   ``STATEMENT_TIMEOUT_IN_SECONDS`` the query is cancelled with Snowflake's 000630, which
   fakesnow ignores), ``no_warehouse`` (true: every SELECT ... FROM answers Snowflake's 000606 "No active
   warehouse selected", as for a role without USAGE on any warehouse; fakesnow needs none),
   ``no_database`` (true: SHOW and SELECT ... FROM answer Snowflake's 090105 "This session does not
   have a current database", as for a role without USAGE on the URL's database), ``row_count`` (table name -> the ROW_COUNT INFORMATION_SCHEMA.TABLES answers: the rows a table
   holds whatever a row access policy lets the role see; seed the table with the rows it sees).
3. **What the client sent** (``GET /auditor-test/log``): every SQL text and each login's
   session parameters, so tests can assert the auditor only reads and sets its session up.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import sys
from typing import Any

import fakesnow.server as fs
import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

FAULTS: dict[str, Any] = {}
LOG: dict[str, list[Any]] = {"sql": [], "logins": []}
SESSION_PARAMS: dict[str, dict[str, Any]] = {}  # session token -> session parameters sent at login


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if request.headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw or b"{}")


def _error(code: str, message: str, sqlstate: str = "08001") -> JSONResponse:
    return JSONResponse({"data": {"errorCode": code, "sqlState": sqlstate}, "code": code, "message": message,
                         "success": False})


async def login(request: Request) -> JSONResponse:
    body = await _body(request)
    data = body.get("data") or {}
    params = dict(data.get("SESSION_PARAMETERS") or {})
    LOG["logins"].append({"user": data.get("LOGIN_NAME"), "session_parameters": params})
    if FAULTS.get("password") is not None and data.get("PASSWORD") != FAULTS["password"]:
        return _error("390100", "Incorrect username or password was specified.")
    answer = await fs.login_request(request)  # starlette caches the body: fakesnow reads it again
    out = json.loads(bytes(answer.body))
    d = out["data"]
    d.setdefault("masterToken", f"master-{d['token']}")
    d.setdefault("validityInSeconds", 3600)
    d.setdefault("masterValidityInSeconds", 14400)
    d.setdefault("sessionId", abs(hash(d["token"])) % 10**12)
    SESSION_PARAMS[d["token"]] = params
    return JSONResponse(out)


def _mentions(sql: str, name: str) -> bool:
    return re.search(rf'(?<![\w$]){re.escape(name.upper())}(?![\w$])', sql.upper().replace('"', "")) is not None


async def query(request: Request) -> Any:
    body = await _body(request)
    sql = str(body.get("sqlText") or "")
    LOG["sql"].append(sql)
    auth = request.headers.get("Authorization") or ""
    params = SESSION_PARAMS.get(auth[17:-1], {})
    # only a SELECT that reads the table itself (SHOW and INFORMATION_SCHEMA list it whatever the grants)
    reads = sql.lstrip().upper().startswith("SELECT") and "INFORMATION_SCHEMA" not in sql.upper()
    if FAULTS.get("no_warehouse") and sql.lstrip().upper().startswith("SELECT") and " FROM " in f" {sql.upper()} ":
        return _error("000606", "No active warehouse selected in the current session.  Select an active warehouse "
                      "with the 'use warehouse' command.", "57P03")
    for name in FAULTS.get("deny") or ():
        if reads and _mentions(sql, name):
            return _error("003001", f"SQL access control error:\nInsufficient privileges to operate on table '{name.upper()}'",
                          "42501")
    for name, seconds in (FAULTS.get("slow") or {}).items():
        if reads and _mentions(sql, name):
            limit = params.get("STATEMENT_TIMEOUT_IN_SECONDS")
            if limit and float(limit) < float(seconds):
                await asyncio.sleep(float(limit))
                return _error("000630", f"Statement reached its statement or warehouse timeout of {limit} second(s) "
                              "and was canceled.", "57014")
            await asyncio.sleep(float(seconds))
    if FAULTS.get("no_database") and (sql.lstrip().upper().startswith("SHOW") or " FROM " in f" {sql.upper()} "):
        verb = sql.split()[0].upper() if sql.split() else "SELECT"
        return _error("090105", f"Cannot perform {verb}. This session does not have a current database. Call 'USE "
                      "DATABASE', or use a qualified name.", "22000")
    counts = FAULTS.get("row_count") or {}
    if counts and "INFORMATION_SCHEMA.TABLES" in sql.upper() and " ROW_COUNT," in sql:
        # the rows the table holds, as Snowflake's metadata counts them whatever the role may see
        cases = " ".join(f"WHEN TABLE_NAME = '{n.upper()}' THEN {int(c)}" for n, c in counts.items())
        body["sqlText"] = sql.replace(" ROW_COUNT,", f" CASE {cases} ELSE ROW_COUNT END AS ROW_COUNT,", 1)
        raw = json.dumps(body).encode()
        request._body = gzip.compress(raw) if request.headers.get("Content-Encoding") == "gzip" else raw
    return await fs.query_request(request)


async def faults(request: Request) -> JSONResponse:
    FAULTS.clear()
    FAULTS.update(await _body(request))
    return JSONResponse({"success": True, "faults": FAULTS})


async def log(request: Request) -> JSONResponse:
    return JSONResponse(LOG)


async def clear_log(request: Request) -> JSONResponse:
    LOG["sql"].clear()
    LOG["logins"].clear()
    return JSONResponse({"success": True})


ROUTES = {"/session/v1/login-request": login, "/queries/v1/query-request": query}
routes = [Route("/auditor-test/faults", faults, methods=["POST"]), Route("/auditor-test/log", log, methods=["GET"]),
          Route("/auditor-test/log", clear_log, methods=["DELETE"])]
for r in fs.app.routes:
    if isinstance(r, Route) and r.path in ROUTES:
        routes.append(Route(r.path, ROUTES[r.path], methods=["POST"]))
    else:
        routes.append(r)
fs.app.router.routes[:] = routes

if __name__ == "__main__":
    uvicorn.run(fs.app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
