package atomicperf

/*
#include "apgo.h"

// As ap_pushgateway_url, with the messages of apgo_fail_text.
static inline ap_status apgo_pushgateway_url(const char *gateway, const char *job,
                                             const char *const *names, const char *const *values,
                                             size_t n, char *buf, size_t capacity, size_t *len,
                                             char **msg) {
	return apgo_fail_text(ap_pushgateway_url(gateway, job, names, values, n, buf, capacity, len),
	                      msg);
}
*/
import "C"

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"
)

// PushOptions says where [Registry.Push], [Registry.PushAdd] and [DeleteFromGateway] send a
// registry: a Prometheus Pushgateway and the group of metrics to replace or delete there.
type PushOptions struct {
	// URL is the gateway's address: "http://host:port" or "https://...", optionally with a path
	// prefix ("http://host:port/pushgateway"); without a scheme, http:// is assumed.
	URL string
	// Job names the group (the job label of its metrics); it must not be empty.
	Job string
	// Grouping holds the group's other labels, e.g. {"instance": "host-1"}. Names follow the
	// Prometheus data model (not empty, not "job", not starting with "__"); values may be
	// anything, a "/" or an empty value included (the library encodes them as the gateway
	// decodes them).
	Grouping Labels
	// Timeout bounds the whole request, response included; 0 means 30 seconds. The context
	// passed to the call can end it sooner.
	Timeout time.Duration
	// Client sends the request; nil means one with http.DefaultTransport.
	Client *http.Client
}

// PushError is the gateway's refusal: a status other than 2xx, and the reason it gave in the
// response body (for a 400: why the pushed metrics were rejected).
type PushError struct {
	Method     string // "PUT", "POST" or "DELETE"
	URL        string
	StatusCode int
	Body       string // the response body, at most 64 KiB of it
}

// Error names the request, the status and the gateway's reason.
func (e *PushError) Error() string {
	reason := strings.TrimSpace(e.Body)
	if reason == "" {
		reason = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("atomicperf: Pushgateway %s %s: status %d: %s", e.Method, e.URL, e.StatusCode, reason)
}

// DefaultPushTimeout bounds a push whose [PushOptions] has no Timeout.
const DefaultPushTimeout = 30 * time.Second

// Push sends the registry's metrics to the Pushgateway (HTTP PUT, as Python's
// push_to_gateway and Node's Pushgateway.push do): they replace every metric of the group
// (opts.Job and opts.Grouping). The body is the registry's Prometheus text export.
//
// Errors: an invalid job, grouping label name or URL matches [ErrInvalidArgument], before any
// request is made; a status other than 2xx is a [*PushError] with the gateway's reason; a
// gateway that cannot be reached returns the dial error (errors.Is(err, syscall.ECONNREFUSED)
// for a refused connection), and one that does not answer within the timeout an error matching
// context.DeadlineExceeded. After Close the error is [ErrClosed].
func (r *Registry) Push(ctx context.Context, opts PushOptions) error {
	return pushRegistry(ctx, "Registry.Push", http.MethodPut, opts, r.Export)
}

// PushAdd sends the registry's metrics to the Pushgateway (HTTP POST, as Python's
// pushadd_to_gateway and Node's Pushgateway.pushAdd do): they replace only the group's metric
// families of the same names, and the group's other families stay. Errors: as [Registry.Push].
func (r *Registry) PushAdd(ctx context.Context, opts PushOptions) error {
	return pushRegistry(ctx, "Registry.PushAdd", http.MethodPost, opts, r.Export)
}

// Push is [Registry.Push] for the shared registry's metrics.
func (r *SharedRegistry) Push(ctx context.Context, opts PushOptions) error {
	return pushRegistry(ctx, "SharedRegistry.Push", http.MethodPut, opts, r.Export)
}

// PushAdd is [Registry.PushAdd] for the shared registry's metrics.
func (r *SharedRegistry) PushAdd(ctx context.Context, opts PushOptions) error {
	return pushRegistry(ctx, "SharedRegistry.PushAdd", http.MethodPost, opts, r.Export)
}

// DeleteFromGateway deletes the group (opts.Job and opts.Grouping) and all its metrics from the
// Pushgateway (HTTP DELETE, as Python's delete_from_gateway and Node's Pushgateway.delete do).
// Deleting a group that does not exist succeeds. Errors: as [Registry.Push].
func DeleteFromGateway(ctx context.Context, opts PushOptions) error {
	return pushRegistry(ctx, "DeleteFromGateway", http.MethodDelete, opts, nil)
}

// PushgatewayURL returns the URL of a Pushgateway group: gateway without its trailing "/",
// then "/metrics/job/<job>{/<label>/<value>}" with the labels sorted by name and each value
// encoded as the gateway decodes it (base64 after "<label>@base64" for a value with a "/" or an
// empty one, percent-encoding otherwise). The rule is the library's own, the same in every
// language. Errors match [ErrInvalidArgument]: an empty job, an invalid grouping label name, a
// gateway without host or with another scheme than http and https.
func PushgatewayURL(gateway, job string, grouping Labels) (string, error) {
	return pushgatewayURL("PushgatewayURL", gateway, job, grouping)
}

var pushURLHint atomic.Int64

func pushgatewayURL(op, gateway, job string, grouping Labels) (string, error) {
	names := make([]string, 0, len(grouping))
	for k := range grouping {
		names = append(names, k)
	}
	slices.Sort(names)
	n := len(names)
	// Two C arrays of C strings, freed on return; a NUL inside a Go string would cut it short,
	// so it is refused here.
	strs := make([]*C.char, 0, 2+2*n)
	defer func() {
		for _, s := range strs {
			C.free(unsafe.Pointer(s))
		}
	}()
	cstr := func(what, s string) (*C.char, error) {
		if strings.IndexByte(s, 0) >= 0 {
			return nil, newError(op, CodeInvalidArgument, what+" contains a NUL byte")
		}
		c := C.CString(s)
		strs = append(strs, c)
		return c, nil
	}
	cGateway, err := cstr("gateway URL", gateway)
	if err != nil {
		return "", err
	}
	cJob, err := cstr("job", job)
	if err != nil {
		return "", err
	}
	var arrays unsafe.Pointer
	if n > 0 {
		arrays = C.malloc(C.size_t(2*n) * C.size_t(unsafe.Sizeof((*C.char)(nil))))
		defer C.free(arrays)
	}
	ptrs := unsafe.Slice((**C.char)(arrays), 2*n)
	for i, k := range names {
		if ptrs[i], err = cstr("grouping label name", k); err != nil {
			return "", err
		}
		if ptrs[n+i], err = cstr("grouping label value", grouping[k]); err != nil {
			return "", err
		}
	}
	var cNames, cValues **C.char
	if n > 0 {
		cNames, cValues = &ptrs[0], &ptrs[n]
	}
	url, err := textFromC(op, &pushURLHint, func(buf *C.char, capacity C.size_t, l *C.size_t, msg **C.char) C.ap_status {
		return C.apgo_pushgateway_url(cGateway, cJob, cNames, cValues, C.size_t(n), buf, capacity, l, msg)
	})
	return string(url), err
}

// maxPushErrorBody caps the gateway's reason kept in a PushError.
const maxPushErrorBody = 64 << 10

// pushRegistry sends one request: method to the group's URL, with export(FormatPrometheus) as
// the body unless export is nil.
func pushRegistry(ctx context.Context, op, method string, opts PushOptions, export func(Format) ([]byte, error)) error {
	url, err := pushgatewayURL(op, opts.URL, opts.Job, opts.Grouping)
	if err != nil {
		return err
	}
	timeout := opts.Timeout
	if timeout < 0 {
		return newError(op, CodeInvalidArgument, fmt.Sprintf("negative timeout %v", timeout))
	}
	if timeout == 0 {
		timeout = DefaultPushTimeout
	}
	var body io.Reader
	if export != nil {
		text, err := export(FormatPrometheus)
		if err != nil {
			return err
		}
		body = bytes.NewReader(text)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return newError(op, CodeInvalidArgument, err.Error())
	}
	if export != nil {
		req.Header.Set("Content-Type", FormatPrometheus.ContentType())
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("atomicperf: %s: %w", op, err)
	}
	defer resp.Body.Close()
	reason, err := io.ReadAll(io.LimitReader(resp.Body, maxPushErrorBody))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	if err != nil {
		reason = append(reason, fmt.Sprintf(" (reading the rest failed: %v)", err)...)
	}
	return &PushError{Method: method, URL: url, StatusCode: resp.StatusCode, Body: string(reason)}
}
