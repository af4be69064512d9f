"""models/ (teacher import, labels, training, export, evaluation) needs PyTorch and onnx, which running diorama
does not: importing this first turns a missing torch into one sentence saying which extra to install."""

try:
    import torch  # noqa: F401
except ModuleNotFoundError as err:
    raise SystemExit(
        "models/ needs torch and onnx, which running diorama does not: "
        "pip install -e '.[models]' (python3 build.py test installs them too)"
    ) from err
