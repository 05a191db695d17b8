package results

// LambdaEnv describes where a run on real Lambda (mode aws) sampled: it replaces the local
// machine in the environment section.
type LambdaEnv struct {
	Region   string `json:"region"`
	Arch     string `json:"arch"`
	MemoryMB int    `json:"memory_mb"`
	// Copies is how many functions of each variant were sampled concurrently.
	Copies int `json:"copies"`
	// Runtimes is each variant's Lambda runtime ("provided.al2023", "nodejs24.x").
	Runtimes map[string]string `json:"runtimes"`
	// S3Bucket is where zips over the direct-upload limit went ("" when none did).
	S3Bucket string `json:"s3_bucket,omitempty"`
}

// Cost is what a run on Lambda costs: estimated before sampling, counted after from the REPORT
// lines' Billed Duration (init included, as Lambda bills it) and the invokes made.
type Cost struct {
	Region string `json:"region"`
	// PricePerGBs and PricePerMillion are the arm64 prices the figures use (USD).
	PricePerGBs     float64 `json:"price_per_gb_second"`
	PricePerMillion float64 `json:"price_per_million_requests"`
	PriceNote       string  `json:"price_note,omitempty"`
	// Estimated before sampling: the invokes planned and their GB-seconds at the expected and at
	// the worst duration (every init at Lambda's 10 s limit, every invoke at its timeout).
	EstimatedRequests int     `json:"estimated_requests"`
	EstimatedGBs      float64 `json:"estimated_gb_seconds"`
	WorstGBs          float64 `json:"worst_gb_seconds"`
	EstimatedUSD      float64 `json:"estimated_usd"`
	// Counted after sampling.
	Requests int     `json:"requests"`
	InitGBs  float64 `json:"init_gb_seconds"`
	// InvokeGBs is the rest of the billed GB-seconds.
	InvokeGBs float64 `json:"invoke_gb_seconds"`
	USD       float64 `json:"usd"`
	// APICalls counts the control-plane requests (free, but rate-limited).
	APICalls int `json:"api_calls"`
}
