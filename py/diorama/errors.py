"""The one error type the pipeline raises for bad input."""


class DioramaError(ValueError):
    """Input the pipeline cannot use; ``str(err)`` is a plain-words message for people.

    Every refusal of user input (unreadable file, unsupported format, image too
    large, mismatched depth map) raises this type, so callers on both hosts can
    show the message and carry on.
    """
