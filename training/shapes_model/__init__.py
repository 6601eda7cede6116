"""Building blocks for training Studio's built-in "studio-shapes" model (see training/README.md).

Modules: ``models`` (architectures, schedulers), ``build_tokenizer`` (whole-word CLIP BPE),
``data`` (on-the-fly rendered batches), ``trainer`` (training state and steps),
``checkpoint`` (atomic resumable checkpoints), ``vae_check`` (analyzer accuracy of VAE
reconstructions). Import with ``training/`` on ``sys.path``.
"""
