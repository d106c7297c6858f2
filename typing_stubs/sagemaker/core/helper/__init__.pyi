# sagemaker 3.x is a pkgutil namespace spread over several distributions (sagemaker-core,
# sagemaker-mlops, ...) and ships no py.typed; these stubs cover only what
# calibration_step.sagemaker_adapter uses.
