/** A registered base model (`GET /models`): a Hugging Face layout directory on a shared path. */
export interface BaseModel {
  id: string;
  name: string;
  path: string;
  family: string;
  config: Record<string, any>;
  hasTokenizer: boolean;
  createdAt: string;
}
