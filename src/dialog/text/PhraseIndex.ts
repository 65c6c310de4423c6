import { SAME_WORD, tokenForm, tokenSimilarity, type TokenForm } from './tokenSimilarity.js';
import { WORD_CLASSES, WORD_WEIGHT, wordClass } from './wordClasses.js';

/** A phrase that matched an utterance, with how well. */
export interface PhraseHit<T> {
  value: T;
  /** The phrase as indexed (normalised). */
  phrase: string;
  /** 0..1; see PhraseIndex.score. */
  score: number;
  /** 0..1: how much of the phrase the utterance contains, whatever else it says. */
  recall: number;
  /** The phrase's total word weight: more means a more specific phrase. */
  weight: number;
  /**
   * The utterance names as many other things (content words) as the phrase explains: it is about
   * something else ("what is the address of the hospital" is not "what is the address"). Such a
   * hit still says the phrase was mentioned (findService: "book a consultation").
   */
  offTopic: boolean;
}

/**
 * A word of some phrase. Grammar words match only exactly (a fuzzy "the"/"they" says nothing);
 * only content words of five letters or more are compared with two utterance words run together
 * ("reception est", "can sell"), as ASR splits long words, while a question word joined up ("who
 * are" ≈ "where") is noise.
 */
interface VocabularyWord {
  readonly form: TokenForm;
}

interface IndexedPhrase<T> {
  readonly value: T;
  readonly phrase: string;
  /** Vocabulary index and weight per word. */
  readonly words: readonly { readonly vocabulary: number; readonly weight: number; readonly required: boolean }[];
  readonly totalWeight: number;
  /** The phrase itself says "not" ("printer is not working"): a negation in the utterance is expected. */
  readonly negated: boolean;
}

interface WordMatch {
  similarity: number;
  /** Utterance word positions it matched (two for a run-together pair). */
  positions: number[];
}

/** Words after a negation that it applies to, unless a scope end comes first. */
const NEGATION_REACH = 3;
/** A negated request is not the request ("I don't want to book"): its score is multiplied by this. */
const NEGATED_FACTOR = 0.5;

/**
 * Tolerant phrase matching on words. Every phrase is prepared once (stems, phonetic codes,
 * weights); an utterance is compared word by word against the vocabulary of all phrases, then
 * each phrase is scored as
 *
 *   score = recall × (0.4 + 0.6 × precision) × (0.5 when the phrase's key word is negated)
 *
 * recall: how much of the phrase (by word weight, times word similarity) the utterance contains;
 * every content word of the phrase must be there (or every weak word, for a phrase with no content
 * word), else the phrase does not match at all. precision: how much of the utterance (weights in
 * WORD_WEIGHT; `neutralWords` 0) the phrase explains, so a keyword inside a long unrelated question
 * scores low; a hit is `offTopic` when the utterance names as many other things as the phrase
 * explains. Negation: a "not", "never" or "without" up to three words before the phrase's first
 * required word (or "no" right before it), with no "but", "and" or question word between, halves
 * the score ("I'm not interested in booking", "I don't want to cancel"), unless the phrase itself
 * says "not" ("the printer is not working").
 */
export class PhraseIndex<T> {
  private readonly vocabulary: VocabularyWord[] = [];
  /**
   * Phrases by their first required word: a phrase can only match when that word is in the
   * utterance, so only those phrases are scored. A phrase of grammar words alone is not indexed.
   */
  private readonly phrasesByKey = new Map<number, IndexedPhrase<T>[]>();
  private readonly neutral: ReadonlySet<string>;
  /**
   * Vocabulary by stem. An utterance word with one of these stems is that word, not a mis-hearing
   * of another ("book" is never a fuzzy "look"), so only the exact lookup is needed for it.
   */
  private readonly byStem = new Map<string, number[]>();
  /**
   * Vocabulary that unknown utterance words are compared with, fuzzily (all but grammar words),
   * found by what tokenSimilarity needs: a shared phonetic code, or a shared deletion variant of the
   * stem (symmetric delete: two words within one edit, or two within two edits, share one).
   */
  private readonly fuzzyByKey = new Map<string, number[]>();
  /** Vocabulary compared with two utterance words run together. */
  private readonly joinable: number[] = [];

  /**
   * @param entries phrases already normalised (normaliseUtterance) with the value each stands for
   * @param neutralWords words that do not count against precision (the site's and its staff's names: "is Riverside Clinic open")
   */
  constructor(entries: readonly { phrase: string; value: T }[], neutralWords: Iterable<string> = []) {
    this.neutral = new Set(neutralWords);
    const byWord = new Map<string, number>();
    for (const { phrase, value } of entries) {
      const words = phrase.split(' ').filter((word) => word !== '' && wordClass(word) !== 'filler');
      if (words.length === 0) continue;
      const hasContent = words.some((word) => wordClass(word) === 'content');
      const indexed = words.map((word) => {
        let vocabulary = byWord.get(word);
        if (vocabulary === undefined) {
          vocabulary = this.vocabulary.length;
          byWord.set(word, vocabulary);
          const form = tokenForm(word);
          this.vocabulary.push({ form });
          const sameStem = this.byStem.get(form.stem) ?? [];
          sameStem.push(vocabulary);
          this.byStem.set(form.stem, sameStem);
          if (wordClass(word) !== 'stop') {
            for (const key of fuzzyKeys(form)) {
              const sameKey = this.fuzzyByKey.get(key) ?? [];
              sameKey.push(vocabulary);
              this.fuzzyByKey.set(key, sameKey);
            }
          }
          if (wordClass(word) === 'content' && word.length >= 5) this.joinable.push(vocabulary);
        }
        const kind = wordClass(word);
        return { vocabulary, weight: WORD_WEIGHT[kind].phrase, required: hasContent ? kind === 'content' : kind === 'weak' || kind === 'slot' };
      });
      const key = indexed.find((word) => word.required)?.vocabulary;
      if (key === undefined) continue;
      const sameKey = this.phrasesByKey.get(key) ?? [];
      sameKey.push({
        value,
        phrase: words.join(' '),
        words: indexed,
        totalWeight: indexed.reduce((sum, word) => sum + word.weight, 0),
        negated: words.some((word) => WORD_CLASSES.negation.has(word)),
      });
      this.phrasesByKey.set(key, sameKey);
    }
  }

  /**
   * Every phrase that matches `words` (normalised utterance words), best first. `neutralWords`:
   * words of this utterance that, like the index's own neutral words, count neither against
   * precision nor as another topic (a name the visitor introduced: "my name is anna smith and…").
   */
  score(words: readonly string[], options: { neutralWords?: ReadonlySet<string> } = {}): PhraseHit<T>[] {
    if (words.length === 0) return [];
    const extraNeutral = options.neutralWords;
    const isNeutral = (word: string) => this.neutral.has(word) || extraNeutral?.has(word) === true;
    const forms = words.map(tokenForm);
    const joined = forms.slice(0, -1).map((form, i) => tokenForm(form.word + words[i + 1]!));
    const matches = this.bestMatches(forms, joined);
    const weights = words.map((word) => (isNeutral(word) ? 0 : WORD_WEIGHT[wordClass(word)].utterance));
    const utteranceWeight = weights.reduce((sum, weight) => sum + weight, 0);
    const content = words.map((word) => !isNeutral(word) && wordClass(word) === 'content');
    const contentCount = content.filter(Boolean).length;
    const negated = negatedPositions(words);

    const hits: PhraseHit<T>[] = [];
    /** Per utterance position, how well the current phrase explains it. */
    const explained = new Float64Array(words.length);
    const candidates = matches.flatMap((match, vocabulary) => (match.similarity >= SAME_WORD ? (this.phrasesByKey.get(vocabulary) ?? []) : []));
    for (const phrase of candidates) {
      let recalled = 0;
      let complete = true;
      let firstRequired: WordMatch | undefined;
      explained.fill(0);
      for (const word of phrase.words) {
        const match = matches[word.vocabulary]!;
        if (match.similarity < SAME_WORD) {
          if (word.required) {
            complete = false;
            break;
          }
          continue;
        }
        if (word.required) firstRequired ??= match;
        recalled += word.weight * match.similarity;
        for (const position of match.positions) explained[position] = Math.max(explained[position]!, match.similarity);
      }
      if (!complete) continue;
      let explainedWeight = 0;
      let explainedContent = 0;
      explained.forEach((similarity, position) => {
        explainedWeight += weights[position]! * similarity;
        if (similarity > 0 && content[position]) explainedContent += 1;
      });
      const otherContent = contentCount - explainedContent;
      const recall = recalled / phrase.totalWeight;
      const precision = utteranceWeight === 0 ? 1 : explainedWeight / utteranceWeight;
      // The phrase's key word (its first required one, usually the verb) negated: "I don't want to cancel".
      const negatedKey = !phrase.negated && firstRequired !== undefined && firstRequired.positions.every((position) => negated[position]);
      const score = recall * (0.4 + 0.6 * precision) * (negatedKey ? NEGATED_FACTOR : 1);
      hits.push({ value: phrase.value, phrase: phrase.phrase, score, recall, weight: phrase.totalWeight, offTopic: otherContent > 0 && otherContent >= explainedContent });
    }
    return hits.sort((a, b) => b.score - a.score);
  }

  /** Per vocabulary word, its best match among the utterance words (and pairs of them run together). */
  private bestMatches(forms: readonly TokenForm[], joined: readonly TokenForm[]): WordMatch[] {
    const matches: WordMatch[] = this.vocabulary.map(() => ({ similarity: 0, positions: [] }));
    const offer = (vocabulary: number, similarity: number, positions: number[]) => {
      const best = matches[vocabulary]!;
      if (similarity > best.similarity) {
        best.similarity = similarity;
        best.positions = positions;
      } else if (similarity > 0 && similarity === best.similarity && positions.length === 1) {
        best.positions.push(positions[0]!); // "bye bye": both are explained
      }
    };
    forms.forEach((form, i) => {
      const known = this.byStem.get(form.stem);
      if (known !== undefined) {
        for (const vocabulary of known) offer(vocabulary, tokenSimilarity(this.vocabulary[vocabulary]!.form, form), [i]);
        return;
      }
      const candidates = new Set<number>();
      for (const key of fuzzyKeys(form)) for (const vocabulary of this.fuzzyByKey.get(key) ?? []) candidates.add(vocabulary);
      for (const vocabulary of candidates) {
        const similarity = tokenSimilarity(this.vocabulary[vocabulary]!.form, form);
        if (similarity > 0) offer(vocabulary, similarity, [i]);
      }
    });
    joined.forEach((form, i) => {
      const known = this.byStem.get(form.stem);
      for (const vocabulary of known ?? this.joinable) {
        if (known !== undefined && !this.joinable.includes(vocabulary)) continue;
        // A run-together pair is a repair, never quite an exact hit.
        const similarity = Math.min(tokenSimilarity(this.vocabulary[vocabulary]!.form, form), 0.95);
        if (similarity > 0) offer(vocabulary, similarity, [i, i + 1]);
      }
    });
    return matches;
  }
}

/**
 * Keys under which two words that tokenSimilarity may find alike meet: each phonetic code, and
 * the stem with up to one letter deleted (two from six letters on, as two edits count only in long
 * words; see tokenSimilarity).
 */
function fuzzyKeys(form: TokenForm): string[] {
  const keys = form.codes.map((code) => `#${code}`);
  const { stem } = form;
  if (stem.length < 4) return keys;
  const variants = new Set([stem]);
  for (let i = 0; i < stem.length; i += 1) {
    const once = stem.slice(0, i) + stem.slice(i + 1);
    variants.add(once);
    if (stem.length >= 6) for (let j = i; j < once.length; j += 1) variants.add(once.slice(0, j) + once.slice(j + 1));
  }
  return [...keys, ...variants];
}

/** Which utterance words a "not"/"never" (or an adjacent "no") applies to. */
function negatedPositions(words: readonly string[]): boolean[] {
  const negated = words.map(() => false);
  words.forEach((word, i) => {
    const reach = WORD_CLASSES.negation.has(word) ? NEGATION_REACH : word === 'no' ? 1 : 0;
    for (let j = i + 1; j <= i + reach && j < words.length; j += 1) {
      if (WORD_CLASSES.scopeEnd.has(words[j]!)) break;
      negated[j] = true;
    }
  });
  return negated;
}
