"""Demo network, part three: discussions in the members-only and private groups."""

from __future__ import annotations

from convene.demo_threads_public import Reply, Topic

MEMBER_TOPICS: tuple[Topic, ...] = (
    Topic(
        "sponsorship", "Matching sponsor groups with families: criteria that matter", "niamh", 39.0,
        "We are revising how we match families to sponsor groups. Today we look at family size, "
        "medical needs and the town. Sponsors tell us that what they *really* needed to know was "
        "different. What criteria do you use?",
        (
            Reply("aisha", "Public transport. Our first family had a teenager who needed to get to a "
                  "college 20 km away and there was one bus a day. Nothing else in the file mattered as "
                  "much."),
            Reply("elena", "In the corridors we meet the families during selection, so host communities "
                  "get a short profile written *with* the family: what they hope for, not only what "
                  "they need."),
            Reply("tomas", "Our interviews with 30 sponsor groups found three predictors of a good first "
                  "year:\n\n"
                  "- at least one group member with time on weekday mornings\n"
                  "- realistic expectations about gratitude and independence\n"
                  "- a local employer or school already involved\n\n"
                  "Family characteristics mattered less than group characteristics."),
            Reply("niamh", "The weekday mornings point keeps coming up. Most of our sponsors work "
                  "full time.", quote=4),
            Reply("katerina", "Same in Czechia. Retired teachers are our backbone."),
            Reply("claire", "From the government side: we'd welcome a shared matching template so that "
                  "files from different NGOs are comparable."),
            Reply("niamh", "Let's draft one together. I'll start a document and invite whoever wants "
                  "to contribute.", quote=7),
        ),
    ),
    Topic(
        "sponsorship", "The first 72 hours: checklist", "aisha", 34.0,
        "Here is the checklist our group used for the arrival of our second family. Corrections "
        "welcome.\n\n"
        "**Before arrival**\n"
        "- [ ] Home cleaned, heated, beds made, food the family eats in the fridge\n"
        "- [ ] SIM cards with credit, Wi-Fi working\n"
        "- [ ] Interpreter booked for the first evening and the next morning\n\n"
        "**Day one**\n"
        "- [ ] Airport pick-up: two people, not ten\n"
        "- [ ] Show the house, the heating, the locks, then *leave them alone*\n\n"
        "**Days two and three**\n"
        "- [ ] Walk to the shop, the pharmacy, the bus stop\n"
        "- [ ] Registration appointments booked, not attended yet",
        (
            Reply("niamh", "\"Two people, not ten\" — yes. The welcome party can wait a week.", quote=1),
            Reply("fatima", "Please also leave a written note, in their language, with one phone number "
                  "to call at night. We didn't know who to call when the heating stopped."),
            Reply("oksana", "We add: check whether anyone in the family needs medication urgently. Once "
                  "we lost two days finding insulin."),
            Reply("aisha", "Both added, thank you.", quote=3),
        ),
    ),
    Topic(
        "sponsorship", "When the sponsorship year ends", "elena", 26.0,
        "Most programmes formally end sponsor responsibility after 12 or 24 months. What happens "
        "to the relationship afterwards? We see everything from lifelong friendship to silence.",
        (
            Reply("aisha", "Our first family moved to London after 14 months for work. We still talk, but "
                  "it's different. I think that's a success."),
            Reply("tomas", "The ending should be planned from the beginning. Groups that discuss it at "
                  "month 9 have smoother transitions than those that reach month 12 unprepared."),
            Reply("sofia", "The municipality needs to know when the year ends too. We had a family fall "
                  "between the sponsor group and our services for three months."),
            Reply("elena", "That handover is exactly what I was worried about.", quote=4),
        ),
    ),
    Topic(
        "sponsorship", "Sponsor training modules: what's missing?", "niamh", 18.0,
        "Our current training covers: the asylum and resettlement system, cultural humility, "
        "safeguarding, finances, boundaries. What do you wish you had been taught?",
        (
            Reply("aisha", "How to support someone through bad news from home. Our family lost a relative "
                  "in the second month and we had no idea what to do."),
            Reply("katerina", "How the benefits system actually works, in practice, with a real example."),
            Reply("grace", "How resettlement selection works: sponsors sometimes ask why *this* family and "
                  "not another, and an honest answer helps."),
            Reply("fatima", "Listening to people who came through sponsorship themselves. Invite us to "
                  "co-deliver the training."),
            Reply("niamh", "Fatima, would you be willing to co-deliver a session in the spring?", quote=5),
            Reply("fatima", "Yes, with pleasure — if it's paid, as other trainers are.", quote=6),
            Reply("niamh", "Of course. I'll write to you this week.", quote=7),
        ),
    ),
    Topic(
        "sponsorship", "Fundraising rules for sponsor groups", "katerina", 7.0,
        "Some of our groups want to crowdfund. Are there rules in your country about how sponsor "
        "groups raise and hold money?",
        (
            Reply("aisha", "In the UK the group needs a charity or a lead organisation to hold the funds. "
                  "It protects both sides."),
            Reply("claire", "In France it must go through an association; individual crowdfunding for a "
                  "named family is discouraged because of privacy."),
        ),
    ),
    Topic(
        "sponsorship", "Privacy: what can sponsors post on social media?", "claire", 3.0,
        "A sponsor group posted photos of a family's arrival on a public page. The family had "
        "agreed on the day, but later asked for them to be removed. What guidance do you give?",
        (
            Reply("niamh", "Our rule: nothing identifiable for the first six months, whatever consent "
                  "was given on arrival day. Consent in the first week is not really free."),
            Reply("amira", "Some people have family members still in danger. A face on Facebook can be "
                  "found by the wrong people.", quote=1),
            Reply("elena", "We ask host communities to sign a short code of conduct, including social "
                  "media, before the family arrives."),
        ),
    ),
    Topic(
        "pathways", "Humanitarian corridors: lessons from selection missions", "elena", 37.0,
        "We have just returned from a selection mission. A few lessons from this round:\n\n"
        "- Meet families **twice**; the second meeting is where the real questions come out.\n"
        "- Bring someone from the receiving community, not only staff.\n"
        "- Be clear that selection is not a promise until the visa is issued.",
        (
            Reply("grace", "The second meeting is something we would like to do in resettlement too, but "
                  "caseloads make it rare."),
            Reply("tomas", "Including receiving-community members in missions seems to improve the first "
                  "year. It would be worth documenting systematically.", quote=1),
            Reply("elena", "We are starting to document it, Tomás; happy to work with your lab.", quote=3),
            Reply("emre", "From the field side: please coordinate dates with orientation providers. "
                  "Twice last year families got two different briefings a week apart."),
        ),
    ),
    Topic(
        "pathways", "Education pathways: university scholarships for refugees", "tomas", 29.0,
        "A handful of universities in our network offer places plus visas for refugee students. "
        "The main obstacles we see: English certificates, recognised school-leaving diplomas, "
        "and housing in university cities.",
        (
            Reply("lukas", "Our evaluation of a pilot found dropout mostly in the first semester, linked to "
                  "money worries more than academic difficulty."),
            Reply("dimitris", "Many candidates in Greece have lost their documents. Alternative assessment "
                  "of prior learning is essential."),
            Reply("pieter", "Family is another obstacle: a scholarship for one person while the family "
                  "stays behind is a hard choice."),
        ),
    ),
    Topic(
        "pathways", "Labour mobility pathways and protection safeguards", "grace", 21.0,
        "Labour pathways can open more places, but we must make sure refugees keep protection "
        "if the job ends. What safeguards exist in your countries?",
        (
            Reply("claire", "The permit should not be tied to one employer. That's the single most "
                  "important safeguard."),
            Reply("tomas", "Agreed. Also access to family reunification on the same terms as resettled "
                  "refugees; otherwise people are forced to choose.", quote=2),
            Reply("lukas", "And a way back into protection if the employer turns out to be exploitative."),
            Reply("grace", "Good list. I'll bring it to our next policy consultation.", quote=4),
            Reply("sofia", "From a municipal side: labour pathway arrivals often get *no* integration "
                  "support at all, because they are not counted as refugees. Worth adding."),
        ),
    ),
    Topic(
        "pathways", "Family reunification after resettlement: delays", "pieter", 15.0,
        "Waiting times for family reunification have increased in most countries. What support do "
        "you give people during the wait?",
        (
            Reply("dimitris", "Legal advice early. Half the delays we see come from incomplete files."),
            Reply("emre", "Honest information before departure: in orientation, people ask about this "
                  "more than anything else."),
            Reply("pieter", "It is also the question families ask first on arrival — see Sofia's list in "
                  "the pre-departure group.", quote=3),
        ),
    ),
    Topic(
        "pathways", "Call for examples: combining pathways", "tomas", 4.0,
        "For a comparative study I'm looking for examples where a family arrived through one "
        "pathway (e.g. an education visa) and relatives later joined through another. Any cases "
        "you can describe without identifying anyone?",
        (
            Reply("elena", "Two cases from the corridors, I'll write to you directly."),
            Reply("grace", "Please include the gaps too: cases where combining failed because of rules "
                  "that didn't fit together."),
        ),
    ),
    Topic(
        "rlo", "Welcome! Introduce yourself and your organisation", "amira", 41.5,
        "This is our own space. Please tell us who you are, where you work, and what you would like "
        "to get from this group.",
        (
            Reply("tesfaye", "Tesfaye, New Roots in Oslo. We do mentoring and run a football league. "
                  "I'd like to learn how others got funding that isn't project-by-project."),
            Reply("fatima", "Fatima, Utrecht. Peer mentor and trainer. I want our experience to be paid "
                  "for, not just asked for."),
            Reply("hamid", "Hamid, Leipzig. Volunteer mentor, engineering student. Mostly here to learn."),
            Reply("marieclaire", "Marie-Claire, Brussels. Women's groups. I'd like to connect with other "
                  "women-led organisations."),
            Reply("mohammed", "Mohammed, Göteborg. I work for the city but I came through resettlement "
                  "myself, so I'm in both worlds."),
            Reply("nour", "Nour, Köln. Language café. Happy to share what we've learned about running "
                  "something on almost no money."),
            Reply("amira", "Welcome everyone. Core funding and paid participation seem to be the two "
                  "big themes — let's take them one by one.", quote=3),
        ),
    ),
    Topic(
        "rlo", "Core funding for refugee-led organisations", "tesfaye", 30.0,
        "Almost all our funding is for 12-month projects. We can't keep staff, and we spend half "
        "the year writing reports. Has anyone managed to get multi-year core funding?",
        (
            Reply("amira", "We got a three-year grant from a foundation after they visited us twice. "
                  "What convinced them was a simple theory of change written *by our members*."),
            Reply("marieclaire", "Partnering with a larger NGO helped us with a grant, but we lost control "
                  "of the budget. Be careful with the partnership agreement."),
            Reply("tesfaye", "Amira, could you share the theory of change? Even as an example of format.",
                  quote=2),
            Reply("amira", "Of course. It's one page:\n\n"
                  "> **If** people who came through resettlement lead the support for new arrivals, "
                  "**then** newcomers trust the support, use it earlier, and stay connected longer.\n\n"
                  "Then three outcomes, each with two indicators we can actually measure."),
        ),
    ),
    Topic(
        "rlo", "Being asked to 'share your story' — again", "fatima", 16.0,
        "I've been invited to speak at three conferences this year, each time to tell my personal "
        "story, unpaid. I want to talk about our **work**, not my trauma. How do you handle these "
        "invitations?",
        (
            Reply("hamid", "I say yes only if I'm on a panel as an expert on the topic, not as an example."),
            Reply("tesfaye", "We made a short policy for our organisation: fees, travel, and the right to "
                  "choose the topic. We send it with every reply."),
            Reply("mohammed", "Same experience. Once they see the policy, some invitations disappear. "
                  "Those were not the right ones anyway.", quote=3),
            Reply("amira", "Let's write a network-wide version and ask the coordinators to adopt it "
                  "for our own events first."),
            Reply("fatima", "Yes. I'll make a first draft.", quote=5),
        ),
    ),
    Topic(
        "rlo", "Meeting in person at the annual conference?", "marieclaire", 6.0,
        "The network's annual meeting is in Brussels this year. Would people like a side meeting for "
        "refugee-led organisations the evening before? I can find a room.",
        (
            Reply("nour", "Yes please."),
            Reply("tesfaye", "Count me in. Can we ask the network to cover travel for RLO members who "
                  "aren't funded by an employer?"),
            Reply("amira", "I'll raise it with the coordinators.", quote=3),
        ),
    ),
    Topic(
        "coordinators", "Agenda for the quarterly call", "ingrid", 35.0,
        "Draft agenda for the call on the 14th:\n\n"
        "1. Welcome of new members (11 since the last call)\n"
        "2. Member survey: first results\n"
        "3. Annual meeting: venue and programme committee\n"
        "4. Moderation: guidance on sharing case details\n\n"
        "Anything to add?",
        (
            Reply("yusuf", "Under 4, we should agree on how to handle posts that include identifiable "
                  "details of families. It's happened twice this month."),
            Reply("claire", "Could we add 10 minutes on the interpreters' glossary Grace is compiling?"),
            Reply("ingrid", "Both added. Thanks.", quote=3),
        ),
    ),
    Topic(
        "coordinators", "Moderation guidance: case details in posts", "yusuf", 19.0,
        "Proposal for a short rule for all groups:\n\n"
        "> Describe situations, not people. Leave out names, exact places, dates of arrival, "
        "nationality combined with family size, and anything else that could identify a family.\n\n"
        "Moderators would edit posts that break this and send a private note to the author.",
        (
            Reply("claire", "Agree. I would add photos of documents — we had one last month."),
            Reply("amira", "Please make sure the rule is explained kindly. Many members who share details "
                  "are just trying to get help for a family."),
            Reply("grace", "Fully support. It matches our own data protection guidance."),
            Reply("ingrid", "Adopted. I'll add it to the group descriptions and the welcome email.",
                  quote=1),
        ),
    ),
    Topic(
        "coordinators", "Annual meeting: programme committee", "ingrid", 8.0,
        "We need four people for the programme committee, and at least one from a refugee-led "
        "organisation. Volunteers?",
        (
            Reply("tomas", "I can help."),
            Reply("amira", "I'll join, and I'll ask Tesfaye too."),
            Reply("grace", "Happy to help with the policy session."),
        ),
    ),
)  # fmt: skip
