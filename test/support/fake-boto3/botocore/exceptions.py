"""The botocore exceptions the handlers catch."""


class UnknownServiceError(Exception):
    pass
