"""The Package step's processing script: a trained model, its calibrator and its metrics in one model archive.

Standard library only; shipped as the zipapp ``model_packaging.pyz`` (``python3
model_packaging.pyz --model_input DIR --calibration_model DIR --calibration_metrics DIR
--packaged_model DIR``). :mod:`.packing` does the work, :mod:`.cli` is the command line.
"""
