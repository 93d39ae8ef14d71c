"""Calibration of any ``twin.Model`` to observed data (imports ``twin`` only).

Nothing here yet: fitting inputs from device logs and calibration arrive with their
own issue. The package exists so the layer rules hold from the start.
"""

__all__: list[str] = []
