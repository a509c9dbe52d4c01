"""Run collectief's conformance kit against the example exporter: ``pytest`` in this directory."""

from collectief_exporter_example import HelloExporter

from exporters.testing import ExporterConformance, export_sample, standard_borderel


class TestHelloConformance(ExporterConformance):
    exporter = HelloExporter()
    plugin_name = "hello"  # the entry point in pyproject.toml


def test_one_line_per_employee() -> None:
    exporter = HelloExporter()
    _, content = export_sample(exporter, standard_borderel(), {"greeting": "Hoi", "header": False})
    assert content is not None
    assert content.decode().splitlines() == [
        "Hoi;1001;J. van Dijk;316.75;15.25",
        "Hoi;1002;F. El Amrani;150.75;15.25",
        "Hoi;980;P. Jansen;68.62;7.63",
    ]
