"""Defences of a site open to anyone (docs/security.md).

- :mod:`.addresses`: who is asking (the client's address, behind trusted proxies only);
- :mod:`.limiter`: atomic request counters shared by every process (Redis), per process
  on the embedded default, open when Redis is down;
- :mod:`.pages`: rate caps on HTML pages and the 429 page;
- :mod:`.logins`: lockout after failed sign-ins, per account and per address;
- :mod:`.middleware`: request size, URL length and NUL-byte guards, security headers;
- :mod:`.outbound`: fetching a URL from the server without reaching internal addresses;
- :mod:`.urls`: which external URLs (posters) may be stored and shown.
"""
