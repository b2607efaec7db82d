/** RFC 9457 problem details, as every API error is answered. */
export interface FieldError {
  line?: number;
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  totalErrors?: number;
}

export const PROBLEM_BASE = 'https://retort.dev/problems/';
