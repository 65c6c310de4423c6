import type { FrontDesk } from '../FrontDesk.js';
import { classifyAnswer } from '../text/classifyAnswer.js';
import { extractContact } from '../text/extractContact.js';
import { extractName } from '../text/extractName.js';
import { lowerFirst, readBack } from '../replies.js';
import { bareName } from './bareName.js';
import type { Flow, FlowTurn } from './Flow.js';

const ASK_TEXT = 'What would you like me to pass on?';
const ASK_CONTACT = 'And your name and a phone number or email?';
const ASK_CONTACT_AGAIN = 'Sorry, could you say the phone number or email again?';

type Step = 'text' | 'contact' | 'confirmContact';

/**
 * Takes a message for the staff: what to pass on, then (optionally) who it is from and how to reach
 * them. A contact is read back before it is kept, because a misheard phone number is worse than none.
 */
export class MessageFlow implements Flow {
  readonly name = 'message';
  private step: Step = 'text';
  private text = '';
  private visitorName: string | undefined;
  private contact: { value: string; spoken: string } | undefined;

  private constructor(private readonly frontDesk: FrontDesk) {}

  /**
   * Starts taking a message. `lead` is said before the question (a handoff's "Nobody is available
   * right now, so I'll take a message.").
   */
  static start(frontDesk: FrontDesk, lead = 'Of course.'): FlowTurn {
    const flow = new MessageFlow(frontDesk);
    return { text: `${lead} ${ASK_TEXT}`, events: [], next: flow };
  }

  handle(text: string): FlowTurn | undefined {
    const answer = classifyAnswer(text);
    if (answer === 'repeat') return this.ask(this.reprompt());
    if (answer === 'stop') return { text: "All right, I won't pass anything on.", events: [], next: undefined };
    switch (this.step) {
      case 'text':
        // Everything else the visitor says now is the message itself, whatever it is about.
        this.text = text.trim();
        this.step = 'contact';
        return this.ask(ASK_CONTACT);
      case 'contact':
        return this.takeContact(text, answer);
      case 'confirmContact':
        if (answer === 'yes') return this.finish();
        if (answer === 'no') {
          this.contact = undefined;
          this.step = 'contact';
          return this.ask(ASK_CONTACT_AGAIN);
        }
        // A corrected number said straight away instead of "no".
        return extractContact(text) ? this.takeContact(text, answer) : undefined;
    }
  }

  reprompt(): string {
    if (this.step === 'text') return ASK_TEXT;
    if (this.step === 'contact') return ASK_CONTACT;
    return readBack(this.contact?.spoken ?? '');
  }

  resume(): string {
    if (this.step === 'text') return 'So, what would you like me to pass on?';
    if (this.step === 'contact') return 'So, your name and a phone number or email?';
    return `So, ${lowerFirst(this.reprompt())}`;
  }

  private takeContact(text: string, answer: ReturnType<typeof classifyAnswer>): FlowTurn {
    if (answer === 'no' || answer === 'skip' || answer === 'dontKnow') return this.finish();
    const contact = extractContact(text);
    const name = extractName(text) ?? (contact ? undefined : bareName(text));
    if (name) this.visitorName = name;
    if (!contact) return this.finish();
    this.contact = { value: contact.value, spoken: contact.spoken };
    this.step = 'confirmContact';
    return this.ask(readBack(contact.spoken));
  }

  private finish(): FlowTurn {
    const record = this.frontDesk.takeMessage({
      text: this.text,
      ...(this.visitorName ? { visitorName: this.visitorName } : {}),
      ...(this.contact ? { contact: this.contact.value } : {}),
    });
    return {
      text: `Thanks, I've passed your message on to ${this.frontDesk.site.handoff.contact}.`,
      events: [{ type: 'message', id: record.id }],
      next: undefined,
    };
  }

  private ask(question: string): FlowTurn {
    return { text: question, events: [], next: this };
  }
}
