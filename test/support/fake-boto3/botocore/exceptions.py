"""The botocore exceptions the handlers catch."""


class UnknownServiceError(Exception):
    pass


class ClientError(Exception):
    def __init__(self, error_response, operation_name):
        super().__init__(f"An error occurred ({error_response['Error']['Code']}) when calling the {operation_name} operation: {error_response['Error'].get('Message', '')}")
        self.response = error_response
        self.operation_name = operation_name
