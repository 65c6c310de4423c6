import type { TroubleshootingGuide } from '../../config/siteSchema.js';
import type { FrontDesk } from '../FrontDesk.js';
import type { IntentMatch } from '../IntentMatcher.js';
import { capitalise } from '../replies.js';
import { classifyAnswer } from '../text/classifyAnswer.js';
import type { Flow, FlowTurn } from './Flow.js';
import { handOff } from './handOff.js';

const DID_IT_HELP = 'Did that help?';

/**
 * Walks a visitor through a guide from the config, one step per turn: each step is spoken, then
 * "Did that help?". Yes ends it; no or skip goes on; repeat says the step again. When the last step
 * did not help, a person is called with a one-line summary of what was tried.
 */
export class TroubleshootingFlow implements Flow {
  readonly name = 'troubleshooting';
  private step = 0;
  /** Steps the visitor tried (skipped ones are not), for the summary staff get. */
  private tried = 0;

  private constructor(
    private readonly frontDesk: FrontDesk,
    readonly guide: TroubleshootingGuide,
  ) {}

  static start(frontDesk: FrontDesk, guide: TroubleshootingGuide): FlowTurn {
    const flow = new TroubleshootingFlow(frontDesk, guide);
    return { text: `Let's sort out ${guide.title}. ${flow.reprompt()}`, events: [], next: flow };
  }

  handle(text: string, match: IntentMatch | undefined): FlowTurn | undefined {
    const answer = classifyAnswer(text);
    switch (answer) {
      case 'yes':
        return { text: "Great, glad that's sorted.", events: [], next: undefined };
      case 'repeat':
      case 'dontKnow':
        return this.ask(this.reprompt());
      case 'no':
        this.tried += 1;
        return this.nextStep();
      case 'skip':
        return this.nextStep();
      case 'stop':
        return { text: 'All right. If it still gives you trouble, please ask at the desk.', events: [], next: undefined };
      case undefined:
        // "it's still frozen" names the same guide: the step did not help.
        if (match?.intent === 'troubleshoot' && match.entityId === this.guide.id) {
          this.tried += 1;
          return this.nextStep();
        }
        return undefined;
    }
  }

  reprompt(): string {
    return `${this.guide.steps[this.step]} ${DID_IT_HELP}`;
  }

  resume(): string {
    return `Back to ${this.guide.title}: ${this.reprompt()}`;
  }

  private nextStep(): FlowTurn {
    if (this.step + 1 < this.guide.steps.length) {
      this.step += 1;
      return this.ask(`All right, next: ${this.reprompt()}`);
    }
    const total = this.guide.steps.length;
    const tried = this.tried === total ? `tried ${total} steps` : `tried ${this.tried} of ${total} steps`;
    return handOff(this.frontDesk, {
      reason: 'guide-failed',
      urgency: 'normal',
      summary: `${capitalise(this.guide.title.replace(/^the\s+/i, ''))}: ${tried}, still not working`,
      lead: "Sorry that didn't fix it.",
    });
  }

  private ask(text: string): FlowTurn {
    return { text, events: [], next: this };
  }
}
