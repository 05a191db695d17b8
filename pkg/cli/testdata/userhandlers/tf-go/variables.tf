variable "aws_region" {
  description = "AWS region for all resources."
  type        = string
  default     = "us-east-1"
}

variable "app" {
  type    = string
  default = "hello"
}

variable "stage" {
  type    = string
  default = "dev"
}

variable "memory" {
  description = "The function's memory in MB."
  type        = number
  default     = 256
}
