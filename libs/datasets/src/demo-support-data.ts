/** The demo data set's vocabulary: intents with their slots and templates, and slot values. */
export type SupportSlot = 'ORDER' | 'CITY' | 'DATE' | 'COUNTRY' | 'ITEM' | 'FROM' | 'TO' | 'KG';

/** Slot order in every reference answer. */
export const SUPPORT_SLOT_ORDER: SupportSlot[] = ['ORDER', 'CITY', 'DATE', 'COUNTRY', 'ITEM', 'FROM', 'TO', 'KG'];

export interface Intent {
  name: string;
  slots: SupportSlot[];
  templates: string[];
}

export const SUPPORT_INTENTS: Intent[] = [
  {
    name: 'track_parcel',
    slots: ['ORDER'],
    templates: [
      'Where is my parcel? It is {ORDER}.',
      'Can you tell me where {ORDER} is right now?',
      "I'd like to track {ORDER}, the tracking page shows nothing.",
      'Any update on the delivery of {ORDER}? It was supposed to arrive already.',
      "What's the status of my shipment, {ORDER}?",
      "My package ({ORDER}) hasn't moved for three days. Where is it?",
    ],
  },
  {
    name: 'change_address',
    slots: ['ORDER', 'CITY'],
    templates: [
      'I moved to {CITY}. Please send {ORDER} to my new address there.',
      'Can I change the delivery address for {ORDER}? It should go to {CITY} instead.',
      'Please redirect {ORDER} to my office in {CITY}.',
      'Wrong address on {ORDER}! Deliver it to {CITY}, not to my old place.',
      'Is it possible to update the address of {ORDER}? New city: {CITY}.',
    ],
  },
  {
    name: 'damaged_item',
    slots: ['ORDER', 'ITEM'],
    templates: [
      'The {ITEM} in {ORDER} arrived broken.',
      'My {ITEM} was damaged in transit ({ORDER}). What can I do?',
      'The box of {ORDER} was crushed and the {ITEM} inside is cracked.',
      'I received {ORDER} today but the {ITEM} is smashed.',
      'About {ORDER}: the {ITEM} came with a big dent. I want to report the damage.',
    ],
  },
  {
    name: 'refund_status',
    slots: ['ORDER'],
    templates: [
      'When will I get my refund for {ORDER}?',
      'I returned {ORDER} two weeks ago and still no money. What is the status of the refund?',
      'Has the refund for {ORDER} been processed yet?',
      'Checking on my refund for {ORDER}.',
      'Could you confirm that the refund for {ORDER} was sent?',
    ],
  },
  {
    name: 'reschedule_delivery',
    slots: ['ORDER', 'DATE'],
    templates: [
      "I won't be home, can you deliver {ORDER} on {DATE} instead?",
      'Please reschedule {ORDER} for {DATE}.',
      "Can {ORDER} come on {DATE}? I'm away until then.",
      'Move the delivery of {ORDER} to {DATE}, please.',
      'Is a delivery on {DATE} possible for {ORDER}?',
    ],
  },
  {
    name: 'customs_fees',
    slots: ['ORDER', 'COUNTRY'],
    templates: [
      'Why do I have to pay customs fees for {ORDER}? It is going to {COUNTRY}.',
      'How much import duty will {ORDER} cost when shipped to {COUNTRY}?',
      'I got a customs bill for {ORDER}, shipped to {COUNTRY}. Is that right?',
      'Who pays the customs charges for {ORDER} to {COUNTRY}?',
      'Do I need to pay VAT and duties on {ORDER}? Destination: {COUNTRY}.',
    ],
  },
  {
    name: 'lost_parcel',
    slots: ['ORDER'],
    templates: [
      'My parcel is lost. Tracking for {ORDER} says delivered but I never got it.',
      "I think {ORDER} got lost, it's been three weeks.",
      'Nothing is here although {ORDER} shows as delivered. Please investigate.',
      'Nobody can find {ORDER}. I want to open a lost parcel claim.',
      '{ORDER} disappeared somewhere between the depot and my house.',
    ],
  },
  {
    name: 'opening_hours',
    slots: ['CITY'],
    templates: [
      'What are the opening hours of your depot in {CITY}?',
      'When is the {CITY} service point open?',
      'Is your branch in {CITY} open on Saturday?',
      'What time does the pickup counter in {CITY} close today?',
      'Opening times for the {CITY} office, please.',
    ],
  },
  {
    name: 'cancel_order',
    slots: ['ORDER'],
    templates: [
      "Please cancel {ORDER}, I don't need it anymore.",
      'I want to cancel the shipment {ORDER} before it leaves.',
      'Can {ORDER} still be cancelled?',
      'Stop {ORDER}, I ordered it by mistake.',
      'Cancel {ORDER} please, it was a mistake.',
    ],
  },
  {
    name: 'return_label',
    slots: ['ORDER'],
    templates: [
      'I need a return label for {ORDER}.',
      'How do I send back {ORDER}? Can you e-mail me a return label?',
      'Please send me a prepaid return label for {ORDER}.',
      'Where can I print the return label for {ORDER}?',
      'I want to return {ORDER}. A label, please.',
    ],
  },
  {
    name: 'shipping_quote',
    slots: ['FROM', 'TO', 'KG'],
    templates: [
      'How much does it cost to send a {KG} parcel from {FROM} to {TO}?',
      'Price for shipping {KG} from {FROM} to {TO}?',
      'I need a quote: a {KG} box, {FROM} to {TO}.',
      'What would you charge for {KG} going from {FROM} to {TO}?',
      'A quote please for a {KG} package from {FROM} to {TO}.',
    ],
  },
  {
    name: 'wrong_item',
    slots: ['ORDER', 'ITEM'],
    templates: [
      'I ordered a {ITEM} but {ORDER} contained something else.',
      '{ORDER} should have been a {ITEM}, but you sent me the wrong thing.',
      "The box for {ORDER} doesn't have my {ITEM} in it, it's someone else's order.",
      'Received the wrong product in {ORDER}. Where is my {ITEM}?',
      'Instead of the {ITEM} I ordered, {ORDER} has a completely different product.',
    ],
  },
];

export const SUPPORT_SYSTEM_PROMPT =
  "You are Larkway Logistics' support triage. Reply with one line: INTENT: <intent>; then the request's details as KEY: value, separated by '; '. " +
  `Intents: ${SUPPORT_INTENTS.map((i) => i.name).join(', ')}. Keys, in this order: ORDER, CITY, DATE (YYYY-MM-DD), COUNTRY, ITEM, FROM, TO, KG.`;

export const CITIES = ['Lyon', 'Porto', 'Hamburg', 'Utrecht', 'Gdansk', 'Bologna', 'Leeds', 'Aarhus', 'Graz', 'Ghent', 'Seville', 'Tampere', 'Brno', 'Cork', 'Nantes', 'Malmo', 'Basel', 'Turin', 'Bergen', 'Krakow', 'Bilbao', 'Dresden', 'Lille', 'Riga'];
export const COUNTRIES = ['Switzerland', 'Norway', 'United Kingdom', 'United States', 'Canada', 'Japan', 'Australia', 'Iceland', 'Turkey', 'Serbia', 'Singapore', 'Mexico'];
export const ITEMS = ['coffee machine', 'laptop', 'desk lamp', 'guitar', 'vase', 'monitor', 'bicycle helmet', 'blender', 'mirror', 'printer', 'tea set', 'camera', 'kettle', 'speaker', 'picture frame', 'office chair'];
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const GREETINGS = ['Hi,', 'Hello,', 'Good morning,', 'Hey there,', 'Dear Larkway team,', 'Hi support,'];
export const CLOSINGS = ['Thanks.', 'Thank you!', 'Thanks in advance.', 'Please help.', 'Regards, {NAME}', 'Cheers, {NAME}'];
export const NAMES = ['Anna', 'Tom', 'Priya', 'Lukas', 'Sofia', 'Mehmet', 'Chloe', 'Jonas', 'Elena', 'Omar'];
