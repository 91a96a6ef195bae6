"""The resource library: uploaded files and links, browsed by facets and searched (issue 8)."""
