import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { PlaygroundChatResponseSchema, roleAtLeast } from '@retort/contracts';
import type { AuthedRequest } from '../auth/auth.guard';
import { Needs } from '../auth/roles.decorator';
import { ProblemException } from '../common/problem';
import { ZodBody } from '../common/zod-body';
import { ApiZodResponse } from '../common/zod-openapi';
import { EndpointsService } from '../endpoints/endpoints.service';

const ChatSchema = z
  .object({
    /** A serving or teacher endpoint (name or id). */
    endpoint: z.string().min(1),
    /** The base model or an adapter name loaded there; default the endpoint's model. */
    model: z.string().min(1).optional(),
    messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })).min(1),
    maxTokens: z.number().int().min(1).max(2048).default(128),
    temperature: z.number().min(0).max(2).default(0),
  })
  .strict();

/** The console's playground: one chat completion through an endpoint, with its key kept server-side. */
@ApiTags('playground')
@Controller('api/v1/playground')
export class PlaygroundController {
  constructor(@Inject(EndpointsService) private readonly endpoints: EndpointsService) {}

  @Post('chat')
  @HttpCode(200)
  @Needs('viewer')
  @ApiZodResponse(200, PlaygroundChatResponseSchema)
  async chat(@ZodBody(ChatSchema) dto: z.infer<typeof ChatSchema>, @Req() req: AuthedRequest) {
    const e = await this.endpoints.resolve(dto.endpoint);
    // A teacher's key is paid for: asking it is running something, which viewers may not.
    if (e.purpose === 'teacher' && !roleAtLeast(req.principal.role, 'operator')) {
      throw new ProblemException(403, 'forbidden', `asking the teacher endpoint ${e.name} spends its API key: that needs the operator role`, { errors: [{ path: 'endpoint', message: 'a teacher needs the operator role' }] });
    }
    const key = await this.endpoints.apiKey(e.id);
    const started = Date.now();
    let res: Response;
    try {
      res = await fetch(`${e.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ model: dto.model ?? e.model, messages: dto.messages, max_tokens: dto.maxTokens, temperature: dto.temperature }),
        signal: AbortSignal.timeout(Math.min(e.timeoutMs, 120000)),
      });
    } catch (err) {
      throw new ProblemException(502, 'endpoint-unreachable', `endpoint ${e.name} at ${e.baseUrl} did not answer: ${(err as Error).message}`);
    }
    const answer = (await res.json().catch(() => ({}))) as { choices?: { message?: { content?: string }; finish_reason?: string }[]; error?: { message?: string }; usage?: unknown };
    if (!res.ok) throw new ProblemException(502, 'endpoint-error', `endpoint ${e.name} answered HTTP ${res.status}: ${answer.error?.message ?? 'no message'}`);
    return { model: dto.model ?? e.model, content: answer.choices?.[0]?.message?.content ?? '', finishReason: answer.choices?.[0]?.finish_reason ?? null, usage: answer.usage ?? null, latencyMs: Date.now() - started };
  }
}
