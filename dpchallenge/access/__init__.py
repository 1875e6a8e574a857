"""How the crawl reaches the site: proxies, rendering, login, secrets, the JOBDIR queue."""
