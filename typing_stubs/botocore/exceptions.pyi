from collections.abc import Mapping

class ClientError(Exception):
    response: Mapping[str, Mapping[str, str]]
