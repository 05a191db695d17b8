package cli

import (
	"errors"
	"testing"
)

// An error's own exit code wins over the one a command returns it with; an error without one
// is a failure, and a code without an error is said by nothing but the exit status.
func TestWithCode(t *testing.T) {
	t.Parallel()
	plain := errors.New("boom")
	tests := []struct {
		code     int
		err      error
		want     int
		wantNil  bool
		wantText bool
	}{
		{ExitOK, nil, ExitOK, true, false},
		{ExitRegression, nil, ExitRegression, false, false},
		{ExitBadInput, plain, ExitBadInput, false, true},
		{ExitOK, plain, ExitFailure, false, true},
		{ExitBadInput, failure(plain), ExitFailure, false, true},
		{ExitFailure, badInput(plain), ExitBadInput, false, true},
	}
	for _, tc := range tests {
		err := withCode(tc.code, tc.err)
		if (err == nil) != tc.wantNil {
			t.Errorf("withCode(%d, %v) = %v, want nil %v", tc.code, tc.err, err, tc.wantNil)
			continue
		}
		if err == nil {
			continue
		}
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != tc.want || (ee.Err != nil) != tc.wantText {
			t.Errorf("withCode(%d, %v) = %#v, want code %d", tc.code, tc.err, err, tc.want)
		}
	}
}
