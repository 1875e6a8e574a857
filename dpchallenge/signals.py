"""The project's own signals: what the spiders tell the extensions about pages."""

# page_failed(kind, record_id, url, reason): a page given up on after its retries.
page_failed = object()
# page_parsed(kind, record_id): a page that parsed, whatever records it gave.
page_parsed = object()
# page_without_record(kind, record_id, url): a page that rightly gives no record (an invalid id).
page_without_record = object()
# page_read(kind, url, lacks): a page as read, with what it lacked of what pages of its kind always
# have ([] for a whole page; a page that did not parse lacks what its parser names).
page_read = object()
