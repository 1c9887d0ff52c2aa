"""Live demos, one module each (compute, plot and summary together), listed below.

The machinery that describes, lays out and draws them is app.figures; a new demo module is
added to DEMOS here.
"""

from app.demos import (
    adam_vs_adamw,
    augmentation,
    batch_norm_noise,
    batch_size_noise,
    bias_variance,
    dropconnect,
    dropout_mask,
    dropout_rate,
    early_stopping,
    early_stopping_vs_l2,
    l1_vs_l2,
    label_smoothing,
    lambda_sweep,
    max_norm,
    mixing_augmentations,
    noise_injection,
    norm_layers,
    polynomial_fit,
    stochastic_depth,
    weight_decay,
)

DEMOS = (
    adam_vs_adamw.DEMO,
    augmentation.DEMO,
    batch_norm_noise.DEMO,
    batch_size_noise.DEMO,
    bias_variance.DEMO,
    dropconnect.DEMO,
    dropout_mask.DEMO,
    dropout_rate.DEMO,
    early_stopping.DEMO,
    early_stopping_vs_l2.DEMO,
    l1_vs_l2.DEMO,
    label_smoothing.DEMO,
    lambda_sweep.DEMO,
    max_norm.DEMO,
    mixing_augmentations.DEMO,
    noise_injection.DEMO,
    norm_layers.DEMO,
    polynomial_fit.DEMO,
    stochastic_depth.DEMO,
    weight_decay.DEMO,
)
