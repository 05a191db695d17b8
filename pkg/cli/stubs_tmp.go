package cli

import "context"

func publishCmd(ctx context.Context, args []string, env Env) (int, error)   { return 3, nil }
func actionCmd(ctx context.Context, args []string, env Env) (int, error)    { return 3, nil }
