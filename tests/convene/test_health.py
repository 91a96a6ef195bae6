async def test_healthz_answers_when_database_is_up(live):
    import httpx

    async with httpx.AsyncClient(base_url=live.url) as client:
        r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["database"] == "up"
