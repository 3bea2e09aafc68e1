MAX_ID = 2**63 - 1  # the top of SQLite's INTEGER range


class ItemIdConverter:
    """`<item_id:pk>`: an id SQLite can hold, in ASCII digits. Any other segment (`abc`, `-1`,
    an id beyond 2**63 - 1) matches no pattern, so it is the 404 of an unknown path."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        item_id = int(value)
        if item_id > MAX_ID:
            raise ValueError(value)  # Django's cue that the pattern does not match
        return item_id

    def to_url(self, value: int) -> str:
        return str(value)
