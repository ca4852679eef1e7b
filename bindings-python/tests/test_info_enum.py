"""Info and Enum: standalone and from a registry, their exports, errors, and prometheus_client's
InfoMetricFamily / StateSetMetricFamily through the Collector."""

import pytest
from atomicperf import Enum, Info, Registry


def test_info_replaces_its_pairs_sorted_by_name():
    i = Info()
    assert i.get() == {}
    i.set({"version": "1.4.2", "commit": "9b339de"})
    assert list(i.get().items()) == [("commit", "9b339de"), ("version", "1.4.2")]
    i.set({"arch": "x86"})
    assert i.get() == {"arch": "x86"}
    i.set({})
    assert i.get() == {}


@pytest.mark.parametrize(
    "pairs",
    [{"1x": "v"}, {"__reserved": "v"}, {"a-b": "v"}, {"": "v"}],
)
def test_info_refuses_bad_names_and_keeps_its_pairs(pairs):
    i = Info()
    i.set({"version": "1"})
    with pytest.raises(ValueError):
        i.set(pairs)
    assert i.get() == {"version": "1"}


def test_info_refuses_what_is_not_a_dict_of_str():
    i = Info()
    with pytest.raises(TypeError):
        i.set({"version": 1})
    with pytest.raises(TypeError):
        i.set([("version", "1")])


def test_registry_info_exports_one_sample_with_its_family_labels_first():
    r = Registry()
    build = r.info("build", "Build facts.", labels={"service": "api"})
    build.set({"version": "1.2", "commit": "abc"})
    assert r.info("build", labels={"service": "api"}) == build
    text = r.export()
    assert "# TYPE build_info gauge\n" in text
    assert 'build_info{service="api",commit="abc",version="1.2"} 1\n' in text
    om = r.export("openmetrics")
    assert "# TYPE build info\n" in om
    with pytest.raises(ValueError, match="own labels"):
        build.set({"service": "x"})
    # Another kind under the name, and an exported name taken.
    with pytest.raises(ValueError):
        r.counter("build")
    with pytest.raises(ValueError):
        r.gauge("build_info")


def test_enum_starts_in_its_first_state_and_refuses_unknown_ones():
    e = Enum(["starting", "running", "stopped"])
    assert (e.get(), e.index) == ("starting", 0)
    assert e.states == ["starting", "running", "stopped"]
    e.set("running")
    assert (e.get(), e.index) == ("running", 1)
    with pytest.raises(ValueError, match="exploded"):
        e.set("exploded")
    assert e.get() == "running"
    assert repr(e) == 'Enum(state="running", states=["starting", "running", "stopped"])'


@pytest.mark.parametrize("states", [[], ["a", ""], ["a", "a"]])
def test_enum_refuses_bad_states(states):
    with pytest.raises(ValueError):
        Enum(states)


def test_enum_refuses_a_str_and_non_str_states():
    with pytest.raises(TypeError, match="not a str"):
        Enum("abc")
    with pytest.raises(TypeError):
        Enum([1, 2])


def test_registry_enum_exports_one_sample_per_state():
    r = Registry()
    task = r.enum("task_state", "Task.", labels={"task": "mail"}, states=["idle", "busy"])
    task.set("busy")
    # The states of an existing family are ignored; the same series comes back.
    assert r.enum("task_state", labels={"task": "mail"}, states=["other"]) == task
    text = r.export()
    assert 'task_state{task="mail",task_state="idle"} 0\n' in text
    assert 'task_state{task="mail",task_state="busy"} 1\n' in text
    assert "# TYPE task_state stateset\n" in r.export("openmetrics")
    with pytest.raises(TypeError, match="states"):
        r.enum("other_state")
    with pytest.raises(ValueError):
        r.enum("a:b", states=["x"])  # the name is also the state label's
    with pytest.raises(ValueError):
        r.enum("st", labels={"st": "1"}, states=["x"])


def test_collector_carries_info_and_enum_as_prometheus_client_families():
    prometheus_client = pytest.importorskip("prometheus_client")
    from atomicperf.prometheus import Collector
    from prometheus_client.openmetrics.exposition import generate_latest as om_latest

    r = Registry()
    r.info("build", "Build facts.").set({"version": "1.2"})
    r.info("version_info", "Version.").set({"v": "3"})
    r.enum("task_state", "Task.", states=["idle", "busy"]).set("busy")
    reg = prometheus_client.CollectorRegistry()
    reg.register(Collector(r))
    families = {f.name: f for f in reg.collect()}
    assert families["build"].type == "info"
    assert families["version"].type == "info"
    assert families["task_state"].type == "stateset"
    text = prometheus_client.generate_latest(reg).decode()
    assert 'build_info{version="1.2"} 1.0\n' in text
    assert 'version_info{v="3"} 1.0\n' in text
    assert 'task_state{task_state="busy"} 1.0\n' in text
    assert 'task_state{task_state="idle"} 0.0\n' in text
    om = om_latest(reg).decode()
    assert "# TYPE task_state stateset\n" in om
    assert "# TYPE build info\n" in om
