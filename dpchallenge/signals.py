"""The project's own signals: what the spiders tell the extensions about pages."""

# page_failed(kind, record_id, url, reason): a page given up on after its retries.
page_failed = object()
# page_parsed(kind, record_id): a page that parsed, whatever records it gave.
page_parsed = object()
# page_without_record(kind, record_id, url): a page that rightly gives no record (an invalid id).
page_without_record = object()
