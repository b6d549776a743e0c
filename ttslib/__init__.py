"""ttslib: a research kit for test-time compute scaling of language models.

The maths modules (``coverage``, ``fit``, ``selection``, ``flops``) run on any sample table with
no model installed; ``data`` and ``problems`` read and check tables; ``generate`` and ``grade``
make and judge samples; ``plotting`` draws; ``cli`` ties them together for long runs.
"""

__version__ = "0.1.0"
