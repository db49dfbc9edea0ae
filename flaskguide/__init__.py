"""The Flask guide site's machinery: site.py is the entry point, these modules do the work."""
