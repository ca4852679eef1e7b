/* ap_info_* and ap_enum_*: standalone and from a registry, their exports in both text formats,
 * and every documented error. */
#include "check.h"

static void test_info(void) {
    ap_info *i = NULL;
    REQUIRE_OK(ap_info_new(&i));
    const char *names[] = {"version", "commit"}, *values[] = {"1.2", "abc"};
    CHECK_OK(ap_info_set(i, names, values, 2));
    const char *twice[] = {"v", "v"};
    CHECK_STATUS(ap_info_set(i, twice, values, 2), AP_ERR_INVALID_ARGUMENT);
    const char *bad[] = {"1x"};
    CHECK_STATUS(ap_info_set(i, bad, values, 1), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_info_set(i, NULL, values, 1), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_info_set(NULL, names, values, 2), AP_ERR_NULL_HANDLE);
    CHECK_OK(ap_info_set(i, NULL, NULL, 0));
    CHECK_STATUS(ap_info_new(NULL), AP_ERR_NULL_POINTER);
    ap_info *c = ap_info_clone(i);
    CHECK(c != NULL);
    CHECK(ap_info_clone(NULL) == NULL);
    ap_info_free(c);
    ap_info_free(i);
    ap_info_free(NULL);
}

static void test_enum(void) {
    const char *states[] = {"starting", "running", "stopped"};
    ap_enum *e = NULL;
    REQUIRE_OK(ap_enum_new(states, 3, &e));
    char buf[16];
    size_t len = 0, index = 9;
    CHECK_OK(ap_enum_get(e, buf, sizeof buf, &len, &index));
    CHECK(strcmp(buf, "starting") == 0);
    CHECK_U64(index, 0);
    CHECK_OK(ap_enum_set(e, "stopped"));
    CHECK_STATUS(ap_enum_get(e, buf, 4, &len, &index), AP_ERR_BUFFER_TOO_SMALL);
    CHECK_U64(len, 7);
    CHECK_U64(index, 2);
    CHECK_OK(ap_enum_get(e, buf, sizeof buf, &len, &index));
    CHECK(strcmp(buf, "stopped") == 0);
    CHECK_STATUS(ap_enum_set(e, "exploded"), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_enum_set(e, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_enum_set(NULL, "running"), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_enum_get(e, buf, sizeof buf, NULL, &index), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_enum_get(NULL, buf, sizeof buf, &len, &index), AP_ERR_NULL_HANDLE);
    ap_enum *none = NULL;
    CHECK_STATUS(ap_enum_new(states, 0, &none), AP_ERR_INVALID_ARGUMENT);
    const char *dup[] = {"a", "a"};
    CHECK_STATUS(ap_enum_new(dup, 2, &none), AP_ERR_INVALID_ARGUMENT);
    const char *empty[] = {""};
    CHECK_STATUS(ap_enum_new(empty, 1, &none), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_enum_new(NULL, 2, &none), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_enum_new(states, 3, NULL), AP_ERR_NULL_POINTER);
    CHECK(none == NULL);
    ap_enum_free(ap_enum_clone(e));
    ap_enum_free(e);
}

static void test_registry(void) {
    ap_registry *r = NULL;
    REQUIRE_OK(ap_registry_new(&r));
    const char *ln[] = {"service"}, *lv[] = {"api"};
    ap_info *i = NULL;
    REQUIRE_OK(ap_registry_info(r, "build", "Build facts.", ln, lv, 1, &i));
    const char *names[] = {"version"}, *values[] = {"1.2"};
    CHECK_OK(ap_info_set(i, names, values, 1));
    CHECK_STATUS(ap_info_set(i, ln, values, 1), AP_ERR_INVALID_ARGUMENT); /* its own label */
    const char *states[] = {"starting", "running"};
    ap_enum *e = NULL;
    REQUIRE_OK(ap_registry_enum(r, "task_state", "Task.", NULL, NULL, 0, states, 2, &e));
    CHECK_OK(ap_enum_set(e, "running"));
    ap_enum *bad = NULL;
    CHECK_STATUS(ap_registry_enum(r, "a:b", "", NULL, NULL, 0, states, 2, &bad), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_registry_enum(r, "other", "", NULL, NULL, 0, states, 0, &bad), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_registry_enum(r, "other", "", NULL, NULL, 0, NULL, 2, &bad), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_registry_enum(NULL, "other", "", NULL, NULL, 0, states, 2, &bad), AP_ERR_NULL_HANDLE);
    CHECK(bad == NULL);
    ap_gauge *g = NULL;
    CHECK_STATUS(ap_registry_gauge(r, "build_info", "", NULL, NULL, 0, &g), AP_ERR_INVALID_ARGUMENT);

    char *text = exported_text(r, AP_FORMAT_PROMETHEUS);
    CHECK(strstr(text, "# TYPE build_info gauge\nbuild_info{service=\"api\",version=\"1.2\"} 1\n") != NULL);
    CHECK(strstr(text, "task_state{task_state=\"starting\"} 0\ntask_state{task_state=\"running\"} 1\n") != NULL);
    free(text);
    text = exported_text(r, AP_FORMAT_OPENMETRICS);
    CHECK(strstr(text, "# TYPE build info\nbuild_info{service=\"api\",version=\"1.2\"} 1\n") != NULL);
    CHECK(strstr(text, "# TYPE task_state stateset\n") != NULL);
    free(text);
    ap_info_free(i);
    ap_enum_free(e);
    ap_registry_free(r);
}

int main(void) {
    test_info();
    test_enum();
    test_registry();
    return check_done();
}
