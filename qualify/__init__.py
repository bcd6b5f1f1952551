"""qualify: gate a release on real-API and partner-scenario test coverage of its tracked defects."""

__version__ = "0.1.0"
