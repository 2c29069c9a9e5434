"""The application layer: one module per use case, one public function each, typed inputs in, typed results out.

The command line (`chemorad.cli`) and the web explorer (`chemorad.web`) are adapters over these functions: they parse
their own inputs (options, form fields, uploads) into the models of `chemorad.app.inputs`, call one function here, and
render its result. No argv, no HTTP, no terminal and no HTML here; the science stays in the domain packages below.

=================================  ==========================================================================
use case                           function
=================================  ==========================================================================
predict (one or many samples)      `chemorad.app.predict.predict`
predict with the calibrated chain  `chemorad.app.calibrated.predict_calibrated`
regimens (TCP per regimen)         `chemorad.app.regimens.regimens`
conditional (observed -> others)   `chemorad.app.conditional.conditional`
simulation job                     `chemorad.app.simulation.simulation_job`
calibration of the damage chain    `chemorad.app.calibration.calibrate_chain`
calibrated verdicts (the answer)   `chemorad.app.answer.calibrated_verdicts`
=================================  ==========================================================================
"""
