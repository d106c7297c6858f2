from typing import Any

from botocore.model import Shape

class ValidationErrors:
    def has_errors(self) -> bool: ...
    def generate_report(self) -> str: ...

class ParamValidator:
    def validate(self, params: Any, shape: Shape) -> ValidationErrors: ...
